"""lift.video on bad input and on cancel: an error or a warning, and nothing created."""

import threading

import bpy
import pytest
from blender_helpers import data_snapshot


def lift_props(video):
    props = bpy.context.scene.lift
    props.video_path = str(video)
    return props


def test_missing_video_reports_and_creates_nothing(registered, tmp_path):
    lift_props(tmp_path / "nope.mp4")
    before = data_snapshot()
    with pytest.raises(RuntimeError, match="not found"):
        bpy.ops.lift.video()
    assert data_snapshot() == before


def test_corrupt_video_reports_and_creates_nothing(registered, corrupt_video):
    lift_props(corrupt_video)
    before = data_snapshot()
    with pytest.raises(RuntimeError, match=r"corrupt\.mp4"):
        bpy.ops.lift.video()
    assert data_snapshot() == before


def test_empty_frame_range_reports(registered, noise_video):
    props = lift_props(noise_video)
    props.frame_start, props.frame_end = 50, 10
    before = data_snapshot()
    with pytest.raises(RuntimeError, match="frame range"):
        bpy.ops.lift.video()
    assert data_snapshot() == before


def test_cancel_leaves_the_scene_as_it_was(registered, noise_video):
    """Start the real job, let it run into 2D detection, press Cancel: nothing is created,
    the operator's next step ends it, and the worker stops."""
    from lift_mocap.operators.video import apply_settings, handle_event, pipeline_settings
    from lift_mocap.scene import jobs

    props = lift_props(noise_video)
    before = data_snapshot()
    scene_state = (bpy.context.scene.render.fps, bpy.context.scene.frame_end)
    job = jobs.LiftJob(pipeline_settings(props), apply_settings(props)).start()
    assert jobs.current() is job
    seen = threading.Event()
    while not seen.is_set():
        assert handle_event(job, bpy.context, "TIMER") == {"PASS_THROUGH"}
        if job.fraction > 0.0:
            seen.set()
        seen.wait(0.02)
    assert bpy.ops.lift.cancel() == {"FINISHED"}  # the sidebar's Cancel button
    assert handle_event(job, bpy.context, "TIMER") == {"CANCELLED"}
    job._thread.join(timeout=30)
    assert not job._thread.is_alive()
    assert job.step(bpy.context) == jobs.CANCELLED  # a late result is never applied
    assert data_snapshot() == before
    assert (bpy.context.scene.render.fps, bpy.context.scene.frame_end) == scene_state


def test_escape_cancels(registered, noise_video):
    from lift_mocap.operators.video import apply_settings, handle_event, pipeline_settings
    from lift_mocap.scene import jobs

    props = lift_props(noise_video)
    before = data_snapshot()
    job = jobs.LiftJob(pipeline_settings(props), apply_settings(props)).start()
    assert handle_event(job, bpy.context, "MOUSEMOVE") == {"PASS_THROUGH"}
    assert handle_event(job, bpy.context, "ESC") == {"CANCELLED"}
    job._thread.join(timeout=30)
    assert data_snapshot() == before


def test_no_video_chosen_reports(registered):
    lift_props("")
    before = data_snapshot()
    with pytest.raises(RuntimeError, match="No video chosen"):
        bpy.ops.lift.video()
    assert data_snapshot() == before


def test_a_job_that_lost_its_operator_does_not_block_the_button(registered, noise_video):
    """Loading another file drops a modal operator; its job must not keep Lift Video disabled."""
    from lift_mocap.operators.video import apply_settings, pipeline_settings
    from lift_mocap.scene import jobs

    props = lift_props(noise_video)
    orphan = jobs.LiftJob(pipeline_settings(props), apply_settings(props)).start()
    assert jobs.running() is orphan and not bpy.ops.lift.video.poll()
    orphan.last_step -= jobs.STALE_SECONDS + 1  # nobody stepped it for a while
    assert jobs.running() is None and bpy.ops.lift.video.poll()
    replacement = jobs.LiftJob(pipeline_settings(props), apply_settings(props)).start()
    assert orphan.state == jobs.CANCELLED and jobs.running() is replacement
    replacement.cancel()
    for job in (orphan, replacement):
        job._thread.join(timeout=30)
