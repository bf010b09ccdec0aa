# SPDX-License-Identifier: GPL-3.0-or-later
"""The sidebar's Retarget panel: source, target, options, the editable bone map, presets."""

import bpy


class LIFT_PT_retarget(bpy.types.Panel):
    bl_idname = "LIFT_PT_retarget"
    bl_label = "Retarget"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Lift"
    bl_parent_id = "LIFT_PT_main"

    def draw(self, context):
        s = context.scene.lift.retarget
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(s, "source")
        layout.prop(s, "target")
        layout.prop(s, "root_motion")
        layout.prop(s, "foot_lock")
        row = layout.row(align=True)
        row.operator("lift.retarget_automap", icon="AUTO")
        row.operator("lift.retarget_preset_load", text="", icon="FILEBROWSER")
        row.operator("lift.retarget_preset_save", text="", icon="FILE_TICK")
        draw_bone_map(layout, s)
        row = layout.row()
        row.scale_y = 1.4
        row.operator("lift.retarget", icon="ARMATURE_DATA")


def draw_bone_map(layout, s) -> None:
    """The role → bone rows, each a search field over the target's bones."""
    if not len(s.bones):
        return
    box = layout.box()
    box.prop(s, "show_map", icon="TRIA_DOWN" if s.show_map else "TRIA_RIGHT", emboss=False)
    if not s.show_map:
        return
    col = box.column(align=True)
    for slot in s.bones:
        if s.target is not None and s.target.type == "ARMATURE":
            col.prop_search(slot, "bone", s.target.data, "bones", text=slot.role)
        else:
            col.prop(slot, "bone", text=slot.role)
