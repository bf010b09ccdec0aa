# SPDX-License-Identifier: GPL-3.0-or-later
"""The "Lift" tab in the 3D viewport's sidebar (View3D > N)."""

import json

import bpy

from ..lifting.adapt import torch_available
from ..scene import jobs
from ..scene.apply import REPORT_PROP

# (key in the quality summary, label, format)
_QUALITY_ROWS = (
    ("detection_coverage", "Person found", "{:.0%}"),
    ("jitter", "Jitter", "{:.2f} m/s²"),
    ("foot_slide_cm_per_frame", "Foot slide", "{:.2f} cm/frame"),
    ("bone_length_cv_pct", "Bone length variation", "{:.1f} %"),
    ("reprojection_px", "Reprojection error", "{:.1f} px"),
    ("lr_swaps", "Left/right swaps", "{}"),
)


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
        job = jobs.current()
        running = jobs.running() is not None
        body = layout.column()
        body.enabled = not running
        body.prop(settings, "video_path")
        col = body.column(align=True)
        col.prop(settings, "frame_start")
        col.prop(settings, "frame_end")
        body.prop(settings, "model")
        draw_adapt(body, settings)
        col = body.column(align=True)
        col.prop(settings, "auto_focal")
        sub = col.column()
        sub.enabled = not settings.auto_focal
        sub.prop(settings, "focal_length")
        col = body.column(align=True)
        col.prop(settings, "actor_height")
        col.prop(settings, "camera_height")
        col = body.column(align=True)
        col.prop(settings, "smoothing")
        sub = col.column()
        sub.enabled = settings.smoothing != "none"
        sub.prop(settings, "strength")
        body.prop(settings, "foot_lock")
        body.prop(settings, "root_motion")
        col = body.column(align=True)
        col.prop(settings, "body_mesh")
        sub = col.column()
        sub.enabled = settings.body_mesh == "SMPL"
        sub.prop(settings, "smpl_path")
        body.prop(settings, "follow_video")
        body.prop(settings, "target_rig")
        if running:
            draw_progress(layout, job)
        else:
            row = layout.row()
            row.scale_y = 1.5
            row.operator("lift.video", icon="ARMATURE_DATA")
            if job is not None and job.state == jobs.FAILED:
                box = layout.box()
                box.alert = True
                box.label(text=job.error, icon="ERROR")
        draw_report(layout, context.active_object)


def draw_adapt(layout, settings) -> None:
    """The "Adapt to This Video" toggle and its minutes; greyed out, with a note, without
    PyTorch."""
    col = layout.column(align=True)
    available = torch_available()
    row = col.row()
    row.enabled = available
    row.prop(settings, "adapt_to_video")
    sub = col.column()
    sub.enabled = available and settings.adapt_to_video
    sub.prop(settings, "adapt_minutes")
    if not available:
        col.label(text="Adapting needs PyTorch (not in this install)", icon="INFO")


def draw_progress(layout, job) -> None:
    """The running job's stage and fraction, and a Cancel button."""
    row = layout.row(align=True)
    row.progress(factor=job.fraction, type="BAR", text=f"{job.stage} {job.fraction:.0%}")
    row.operator("lift.cancel", text="", icon="CANCEL")


def draw_report(layout, obj) -> None:
    """The quality summary stored on a lifted armature, if the active object is one."""
    if obj is None or REPORT_PROP not in obj:
        return
    try:
        report = json.loads(obj[REPORT_PROP])
    except (TypeError, ValueError):
        return
    box = layout.box()
    box.label(text=f"{obj.name}: {report.get('frames', 0)} frames", icon="INFO")
    quality = {**report.get("quality", {}), "detection_coverage": report.get("detection_coverage")}
    col = box.column(align=True)
    for key, label, fmt in _QUALITY_ROWS:
        value = quality.get(key)
        if value is not None:
            col.label(text=f"{label}: {fmt.format(value)}")
    box.operator("lift.export", icon="EXPORT")
