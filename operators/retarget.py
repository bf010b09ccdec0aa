# SPDX-License-Identifier: GPL-3.0-or-later
"""``lift.retarget``: move a Lift armature's motion onto the user's armature; and the bone
map's helpers (auto map, save and load a JSON preset)."""

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..lifting.errors import LiftError
from ..lifting.retarget.bonemap import ROLES, BoneMap, auto_map
from ..scene.retarget_apply import retarget_onto, source_contacts, source_joints
from ..scene.rig_read import read_rig


def bonemap_from_slots(slots) -> BoneMap | None:
    """The map in the sidebar's rows; None when no row names a bone (map automatically)."""
    bones = {s.role: s.bone for s in slots if s.bone}
    return BoneMap(bones) if bones else None


def fill_slots(slots, bonemap: BoneMap) -> None:
    """Show ``bonemap`` in the sidebar: one row per role, empty where unmapped."""
    slots.clear()
    for role in ROLES:
        slot = slots.add()
        slot.role, slot.bone = role, bonemap.bones.get(role, "")


def _settings(context):
    return context.scene.lift.retarget


class LIFT_OT_retarget(bpy.types.Operator):
    """Retarget the Lift armature's motion onto the target armature (a new action)"""

    bl_idname = "lift.retarget"
    bl_label = "Retarget"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads a plain set

    @classmethod
    def poll(cls, context):
        s = _settings(context)
        return context.mode == "OBJECT" and s.source is not None and s.target is not None

    def execute(self, context):
        s = _settings(context)
        scene = context.scene
        try:
            joints, frames = source_joints(s.source)
            contacts = source_contacts(s.source, len(frames))
            out = retarget_onto(
                context,
                s.target,
                joints,
                frames,
                scene.render.fps / scene.render.fps_base,
                bonemap=bonemap_from_slots(s.bones),
                contacts=contacts,
                root_motion=s.root_motion,
                foot_lock=s.foot_lock,
            )
        except LiftError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        s.target = out["object"]
        fill_slots(s.bones, out["bonemap"])
        notes = [f"Retargeted onto {out['object'].name!r} as action {out['action'].name!r}"]
        if out["previous_action"]:
            notes.append(f"previous action {out['previous_action']!r} kept (fake user)")
        ik_legs = [x for x in out["rigify_switches"] if "(IK, keyed)" in x]
        if len(out["rigify_switches"]) > len(ik_legs):
            fk = len(out["rigify_switches"]) - len(ik_legs)
            notes.append(f"Rigify switched to FK ({fk} settings)")
        if ik_legs:
            notes.append(f"legs on the rig's IK controls, keyed ({len(ik_legs)} legs)")
        self.report({"INFO"}, "; ".join(notes))
        if out["warnings"]:
            self.report(
                {"WARNING"},
                "These override the retargeted rotations until muted: "
                + "; ".join(out["warnings"]),
            )
        return {"FINISHED"}


class LIFT_OT_retarget_automap(bpy.types.Operator):
    """Fill the bone map from the target armature's names, hierarchy and shape"""

    bl_idname = "lift.retarget_automap"
    bl_label = "Auto Map"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads a plain set

    @classmethod
    def poll(cls, context):
        return _settings(context).target is not None

    def execute(self, context):
        s = _settings(context)
        bonemap = auto_map(read_rig(s.target), strict=False)
        fill_slots(s.bones, bonemap)
        missing = bonemap.missing()
        if missing:
            self.report({"WARNING"}, "Pick bones for: " + ", ".join(missing))
        else:
            self.report({"INFO"}, f"Mapped {len(bonemap.bones)} bones")
        return {"FINISHED"}


class LIFT_OT_retarget_preset_save(bpy.types.Operator, ExportHelper):
    """Save the bone map as a JSON preset"""

    bl_idname = "lift.retarget_preset_save"
    bl_label = "Save Bone Map"
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        bonemap = bonemap_from_slots(_settings(context).bones)
        if bonemap is None:
            self.report({"ERROR"}, "The bone map is empty: press Auto Map or pick bones first.")
            return {"CANCELLED"}
        bonemap.save(self.filepath)
        self.report({"INFO"}, f"Saved the bone map to {self.filepath}")
        return {"FINISHED"}


class LIFT_OT_retarget_preset_load(bpy.types.Operator, ImportHelper):
    """Load a bone map from a JSON preset"""

    bl_idname = "lift.retarget_preset_load"
    bl_label = "Load Bone Map"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads a plain set
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        s = _settings(context)
        try:
            bonemap = BoneMap.load(self.filepath)
        except LiftError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        fill_slots(s.bones, bonemap)
        if s.target is not None:
            absent = [b for b in bonemap.bones.values() if b not in s.target.data.bones]
            if absent:
                self.report({"WARNING"}, f"Not in {s.target.name!r}: " + ", ".join(absent))
        return {"FINISHED"}


classes = (
    LIFT_OT_retarget,
    LIFT_OT_retarget_automap,
    LIFT_OT_retarget_preset_save,
    LIFT_OT_retarget_preset_load,
)
