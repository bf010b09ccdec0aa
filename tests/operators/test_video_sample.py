"""lift.video and the batch on the project's sample clip, with the bundled weights.

These run the whole pipeline for real (MediaPipe, the committed lifter, the world stage). They
fail loudly — never skip — when the sample clip or the weights are missing.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import bpy
import numpy as np
import pytest
from blender_helpers import data_snapshot

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "sample"
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")


@pytest.fixture(scope="module")
def sample_video():
    videos = sorted(p for p in SAMPLE.glob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        pytest.fail(f"No sample clip in {SAMPLE}: render it with tools/make_sample.py")
    from lifting.models import registry

    if not registry.available():
        pytest.fail("No lifter weights in lifting/weights: the full pipeline cannot run")
    return videos[0]


def run_modal(job, timeout=600.0):
    """Drive the operator's modal handler with timer events, as Blender's event loop would."""
    from lift_mocap.operators.video import handle_event

    t0 = time.perf_counter()
    while True:
        result = handle_event(job, bpy.context, "TIMER")
        if result != {"PASS_THROUGH"}:
            return result
        assert time.perf_counter() - t0 < timeout, "the job never finished"
        time.sleep(0.05)


@pytest.mark.slow
def test_operator_on_the_sample_clip(registered, sample_video):
    from lift_mocap.operators.video import apply_settings, pipeline_settings
    from lift_mocap.scene import compat, jobs

    props = bpy.context.scene.lift
    props.video_path = str(sample_video)
    before = data_snapshot()
    job = jobs.LiftJob(pipeline_settings(props), apply_settings(props)).start()
    assert run_modal(job) == {"FINISHED"}, job.error
    created = job.created
    arm, action, camera = created["armature"], created["action"], created["camera"]
    frames = len(job.result.track)
    assert frames > 0 and len(job.result.motion.joints) == frames
    curves = compat.action_fcurves(action, arm)
    assert len(curves) == 4 * len(arm.pose.bones) + 3
    for c in curves:
        co = np.empty(2 * len(c.keyframe_points))
        c.keyframe_points.foreach_get("co", co)
        assert np.array_equal(co[::2], np.arange(1, frames + 1)), c.data_path
        assert np.isfinite(co).all()
    scene = bpy.context.scene
    assert scene.render.fps / scene.render.fps_base == pytest.approx(job.result.track.fps, 1e-3)
    assert (scene.frame_start, scene.frame_end) == (1, frames)
    assert scene.camera == camera and created["clip"] is not None
    assert camera.data.background_images[0].clip == created["clip"]
    after = data_snapshot()
    assert len(after["objects"]) == len(before["objects"]) + 2
    assert len(after["actions"]) == len(before["actions"]) + 1


@pytest.mark.slow
def test_changing_smoothing_reruns_only_the_world_stage(sample_video):
    from dataclasses import replace

    from lifting.pipeline import PipelineSettings, run_pipeline

    settings = PipelineSettings(video=str(sample_video))
    first = run_pipeline(settings)
    again = run_pipeline(replace(settings, smoothing="butterworth", strength=0.9))
    assert again.cached == ("detect", "lift")
    assert again.track is first.track and again.pose is first.pose
    assert not np.allclose(again.motion.joints, first.motion.joints)
    moved = run_pipeline(replace(settings, start=1))
    assert moved.cached == ()
    # The actor's height reaches the world stage and sets the motion's scale.
    for height in (1.5, 1.85):
        sized = run_pipeline(replace(settings, subject_height=height))
        assert sized.cached == ("detect", "lift")
        assert sized.motion.report.camera["subject_height_m"] == pytest.approx(height, rel=1e-3)


@pytest.mark.slow
def test_batch_on_a_folder_with_one_corrupt_file(tmp_path, sample_video):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample_video, folder / f"a_{sample_video.name}")
    (folder / "b_corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "batch.py"), "--", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 of 2 videos lifted" in done.stdout and "FAIL b_corrupt.mp4" in done.stderr
    stem = f"a_{sample_video.stem}"
    report = json.loads((out / f"{stem}.report.json").read_text())
    assert report["status"] == "ok" and report["frames"] > 0
    assert 0.0 < report["detection_coverage"] <= 1.0
    assert {"detect", "lift", "world", "apply", "save", "export", "total"} <= set(
        report["stage_seconds"]
    )
    assert (out / f"{stem}.blend").stat().st_size > 0
    assert (out / f"{stem}.bvh").read_text().startswith("HIERARCHY")
    assert (out / f"{stem}.report.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "b_corrupt.report.json").read_text())["status"] == "failed"
