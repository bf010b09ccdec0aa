# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Lift" tab in the 3D viewport's sidebar (View3D > N)."""

import bpy


class LIFT_PT_main(bpy.types.Panel):
    bl_idname = "LIFT_PT_main"
    bl_label = "Lift"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Lift"

    def draw(self, context):
        settings = context.scene.lift
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(settings, "video_path")
        col = layout.column(align=True)
        col.prop(settings, "frame_start")
        col.prop(settings, "frame_end")
