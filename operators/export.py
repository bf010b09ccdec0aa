# SPDX-License-Identifier: GPL-3.0-or-later
"""``lift.export``: the lifted armature's animation as BVH or FBX (Blender's exporters)."""

from pathlib import Path

import bpy
from bpy.props import EnumProperty, StringProperty

from ..scene.export import export

_EXT = {"BVH": ".bvh", "FBX": ".fbx"}


class LIFT_OT_export(bpy.types.Operator):
    """Export the active armature's animation as BVH or FBX"""

    bl_idname = "lift.export"
    bl_label = "Export Motion"
    bl_options = {"REGISTER"}  # noqa: RUF012 - Blender reads a plain set

    filepath: StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})
    format: EnumProperty(
        name="Format",
        items=(
            ("BVH", "BVH", "Biovision Hierarchy: skeleton and motion"),
            ("FBX", "FBX", "Autodesk FBX: armature and baked animation"),
        ),
        default="BVH",
    )
    check_existing: bpy.props.BoolProperty(default=True, options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        return obj is not None and obj.type == "ARMATURE" and context.mode == "OBJECT"

    def invoke(self, context, event):
        if not self.filepath:
            base = Path(bpy.path.abspath("//") or Path.home()) / context.active_object.name
            self.filepath = str(base.with_suffix(_EXT[self.format]))
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        if not self.filepath:
            self.report({"ERROR"}, "Choose a file to export to.")
            return {"CANCELLED"}
        path = Path(bpy.path.abspath(self.filepath)).with_suffix(_EXT[self.format])
        try:
            export(context, context.active_object, path, self.format)
        except (ValueError, RuntimeError, OSError) as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Exported {path}")
        return {"FINISHED"}


classes = (LIFT_OT_export,)
