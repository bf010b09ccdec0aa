"""The extension registers, unregisters and registers again cleanly; the panel draws."""

import bpy


def lift_classes():
    """Names of registered LIFT_ classes (PropertyGroups are not listed in bpy.types)."""
    names = {n for n in dir(bpy.types) if n.startswith("LIFT_")}
    for base in (bpy.types.PropertyGroup, bpy.types.AddonPreferences):
        names |= {
            c.__name__
            for c in base.__subclasses__()
            if c.__name__.startswith("LIFT_") and c.is_registered
        }
    return sorted(names)


def test_register_unregister_register(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    before = lift_classes()
    assert before == []
    addon.register()
    registered = lift_classes()
    assert "LIFT_PT_main" in registered and "LIFT_PG_settings" in registered
    assert hasattr(bpy.types.Scene, "lift")
    addon.unregister()
    assert lift_classes() == []
    assert not hasattr(bpy.types.Scene, "lift")
    addon.register()
    assert lift_classes() == registered
    addon.unregister()
    assert lift_classes() == []


def test_settings_live_on_the_scene(registered):
    scene = bpy.context.scene
    scene.lift.video_path = "/tmp/clip.mp4"
    assert scene.lift.video_path == "/tmp/clip.mp4"
    assert scene.lift.frame_end == 0


def test_panel_draws_in_a_real_context(registered):
    """Headless bpy has no window, so draw into a recorder that checks every property name."""
    from layout_recorder import draw_panel

    panel_cls = bpy.types.LIFT_PT_main
    assert panel_cls.bl_category == "Lift" and panel_cls.bl_space_type == "VIEW_3D"
    calls = draw_panel(panel_cls, bpy.context)
    assert ("prop", "video_path") in calls


def test_panel_shows_every_setting_and_the_button(registered):
    from layout_recorder import draw_panel

    calls = draw_panel(bpy.types.LIFT_PT_main, bpy.context)
    props = {c[1] for c in calls if c[0] == "prop"}
    assert props == {
        "video_path", "frame_start", "frame_end", "model", "auto_focal", "focal_length",
        "actor_height", "camera_height",
        "smoothing", "strength", "foot_lock", "root_motion", "follow_video", "body_mesh",
        "smpl_path", "target_rig", "adapt_to_video", "adapt_minutes",
    }  # fmt: skip
    assert ("operator", "lift.video") in calls
    assert not any(c[0] == "progress" for c in calls)


def test_panel_shows_progress_and_cancel_while_running(registered, tmp_path):
    """A real job: while it runs the panel shows its stage, fraction and Cancel; a failure
    shows the error beside the button."""
    import time

    from blender_helpers import write_video
    from layout_recorder import draw_panel
    from lift_mocap.lifting.pipeline import PipelineSettings
    from lift_mocap.scene import jobs
    from lift_mocap.scene.apply import ApplySettings

    video = write_video(tmp_path / "noise.mp4", frames=200)
    job = jobs.LiftJob(PipelineSettings(video=str(video)), ApplySettings()).start()
    while job.step(bpy.context) == jobs.RUNNING and job.fraction == 0.0:
        time.sleep(0.02)
    calls = draw_panel(bpy.types.LIFT_PT_main, bpy.context)
    (progress,) = [c for c in calls if c[0] == "progress"]
    assert 0.0 < progress[1] < 1.0 and progress[2].startswith("Detecting 2D keypoints")
    assert ("operator", "lift.cancel") in calls and ("operator", "lift.video") not in calls
    job.cancel()
    job._thread.join(timeout=30)
    failing = PipelineSettings(video=str(tmp_path / "none.mp4"))
    job = jobs.LiftJob(failing, ApplySettings()).start()
    assert job.wait(bpy.context) == jobs.FAILED
    calls = draw_panel(bpy.types.LIFT_PT_main, bpy.context)
    assert ("operator", "lift.video") in calls
    assert any(c[0] == "label" and "not found" in c[1] for c in calls)


def test_panel_shows_the_quality_of_the_active_lift(registered, mocap_dir):
    from blender_helpers import mocap_result
    from layout_recorder import draw_panel
    from lift_mocap.scene.apply import apply_result

    apply_result(bpy.context, mocap_result(mocap_dir, frames=30))
    calls = draw_panel(bpy.types.LIFT_PT_main, bpy.context)
    labels = [c[1] for c in calls if c[0] == "label"]
    assert "Lift: 30 frames" in labels and "Person found: 100%" in labels
    assert ("operator", "lift.export") in calls
