# SPDX-License-Identifier: GPL-3.0-or-later
"""Lift's settings: one PropertyGroup on the Scene and the add-on preferences."""

import bpy
from bpy.props import BoolProperty, IntProperty, PointerProperty, StringProperty


class LIFT_PG_settings(bpy.types.PropertyGroup):
    """Per-scene settings of the Lift sidebar (``scene.lift``)."""

    video_path: StringProperty(
        name="Video",
        description="Video file, or a folder of numbered images, to capture motion from",
        subtype="FILE_PATH",
    )
    frame_start: IntProperty(
        name="Start", description="First video frame to use (0-based)", default=0, min=0
    )
    frame_end: IntProperty(
        name="End",
        description="Last video frame to use (inclusive); 0 means the end of the video",
        default=0,
        min=0,
    )


class LIFT_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    force_cpu: BoolProperty(
        name="Force CPU",
        description="Run the models on the CPU even when a GPU is available",
        default=False,
    )

    def draw(self, context):
        self.layout.prop(self, "force_cpu")


classes = (LIFT_PG_settings, LIFT_AP_preferences)


def attach():
    """Add ``Scene.lift`` (after the classes are registered)."""
    bpy.types.Scene.lift = PointerProperty(type=LIFT_PG_settings)


def detach():
    """Remove ``Scene.lift`` (before the classes are unregistered)."""
    del bpy.types.Scene.lift
