# SPDX-License-Identifier: GPL-3.0-or-later
"""``lift.video``: the whole pipeline, modal, cancellable, applied as one undo step."""

import bpy

from ..lifting.adapt import UNAVAILABLE_MESSAGE, torch_available
from ..lifting.errors import LiftError
from ..lifting.pipeline import PipelineSettings
from ..scene import jobs
from ..scene.apply import ApplySettings, target_rig

TIMER_SECONDS = 0.1  # how often the main thread drains the worker's queue


def cache_dir() -> str | None:
    """The keypoint cache in the extension's user folder, or None (the default cache) when the
    package is not running as an installed extension (tests, scripts)."""
    try:
        return bpy.utils.extension_path_user(__package__.rsplit(".", 1)[0], path="cache")
    except (ValueError, TypeError):
        return None


def force_cpu(context) -> bool:
    addon = context.preferences.addons.get(__package__.rsplit(".", 1)[0])
    return bool(addon and addon.preferences and addon.preferences.force_cpu)


def pipeline_settings(props, *, cache: str | None = None, cpu: bool = False) -> PipelineSettings:
    """The sidebar settings (``scene.lift``) as plain pipeline settings."""
    return PipelineSettings(
        video=bpy.path.abspath(props.video_path),
        start=int(props.frame_start),
        end=int(props.frame_end) + 1 if props.frame_end > 0 else None,
        model=props.model or "default",
        device="cpu" if cpu else None,
        smoothing=props.smoothing,
        strength=float(props.strength),
        foot_lock=props.foot_lock,
        in_place=props.root_motion == "IN_PLACE",
        focal_35mm=None if props.auto_focal else float(props.focal_length),
        camera_height=float(props.camera_height) or None,
        subject_height=float(props.actor_height) or None,
        cache_dir=cache,
        adapt_minutes=float(props.adapt_minutes) if props.adapt_to_video else 0.0,
    )


def apply_settings(props) -> ApplySettings:
    """The sidebar settings (``scene.lift``) as apply settings. A target rig takes the Retarget
    panel's root motion and foot lock, and its bone map only when that panel's target is the
    same rig (else the map is automatic)."""
    rt = props.retarget
    target = props.target_rig
    bones = ()
    if target is not None and rt.target == target:
        bones = tuple((s.role, s.bone) for s in rt.bones if s.bone)
    return ApplySettings(
        follow_video=bool(props.follow_video),
        body=props.body_mesh,
        body_path=props.smpl_path,
        target_rig=target.name if target is not None else "",
        retarget_root=rt.root_motion,
        retarget_foot_lock=bool(rt.foot_lock),
        retarget_bones=bones,
    )


def handle_event(job, context, event_type: str) -> set:
    """What the modal operator does with one event; returns the operator's result set.

    ``TIMER`` drains the worker and applies a finished result; ``ESC`` cancels. Everything
    else passes through so the UI stays usable while the job runs.
    """
    if event_type == "ESC":
        job.cancel()
    elif event_type != "TIMER" and job.state == jobs.RUNNING:
        return {"PASS_THROUGH"}
    state = job.step(context)
    _show_status(context, job)
    if state == jobs.RUNNING:
        return {"PASS_THROUGH"}
    return {"FINISHED"} if state == jobs.FINISHED else {"CANCELLED"}


def _show_status(context, job) -> None:
    workspace = context.workspace
    if workspace is not None:
        workspace.status_text_set(job.status_text if job.state == jobs.RUNNING else None)
    screen = context.screen
    for area in screen.areas if screen else ():
        if area.type == "VIEW_3D":
            area.tag_redraw()


class LIFT_OT_video(bpy.types.Operator):
    """Capture the motion of the person in the video onto a new armature"""

    bl_idname = "lift.video"
    bl_label = "Lift Video"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads a plain set

    @classmethod
    def poll(cls, context):
        return context.mode == "OBJECT" and context.scene is not None and jobs.running() is None

    def _job(self, context):
        """The started job, or None (reported) when the target rig cannot be used: that is
        known before minutes of lifting, so nothing runs."""
        props = context.scene.lift
        if props.adapt_to_video and not torch_available():
            self.report({"ERROR"}, UNAVAILABLE_MESSAGE)
            return None
        settings = pipeline_settings(props, cache=cache_dir(), cpu=force_cpu(context))
        apply = apply_settings(props)
        try:
            target_rig(context, apply)
        except LiftError as err:
            self.report({"ERROR"}, str(err))
            return None
        return jobs.LiftJob(settings, apply).start()

    def invoke(self, context, event):
        self._lift_job = self._job(context)
        if self._lift_job is None:
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_SECONDS, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = self._lift_job
        result = handle_event(job, context, event.type)
        if result & {"FINISHED", "CANCELLED"}:
            context.window_manager.event_timer_remove(self._timer)
            return self._finish(job, result)
        return result

    def execute(self, context):
        """Blocking run (scripts, ``EXEC_DEFAULT``): the same job, stepped in a loop."""
        job = self._job(context)
        if job is None:
            return {"CANCELLED"}
        job.wait(context)
        return self._finish(job, {"FINISHED"} if job.state == jobs.FINISHED else {"CANCELLED"})

    def _finish(self, job, result):
        if job.state == jobs.FAILED:
            self.report({"ERROR"}, job.error)
        elif job.state == jobs.CANCELLED:
            self.report({"WARNING"}, "Lift cancelled; nothing was changed.")
        elif job.state == jobs.FINISHED:
            arm = job.created["armature"]
            note = f"Lift: {len(job.result.motion.joints)} frames on '{arm.name}'"
            retargeted = job.created.get("retarget")
            if retargeted is not None:
                note += (
                    f", retargeted onto '{retargeted['object'].name}' as action "
                    f"'{retargeted['action'].name}'"
                )
            self.report({"INFO"}, note + ".")
            if retargeted is not None and retargeted["warnings"]:
                self.report(
                    {"WARNING"},
                    "These override the retargeted rotations until muted: "
                    + "; ".join(retargeted["warnings"]),
                )
        return result


class LIFT_OT_cancel(bpy.types.Operator):
    """Stop the running Lift job; the scene stays as it was"""

    bl_idname = "lift.cancel"
    bl_label = "Cancel"
    bl_options = {"INTERNAL"}  # noqa: RUF012 - Blender reads a plain set

    @classmethod
    def poll(cls, context):
        return jobs.running() is not None

    def execute(self, context):
        jobs.running().cancel()
        return {"FINISHED"}


classes = (LIFT_OT_video, LIFT_OT_cancel)
