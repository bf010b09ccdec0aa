"""lifting/pipeline.py without running any stage: settings checks and the torch thread guard."""

import pytest

from lifting.errors import EmptyVideoError, MotionSettingsError, VideoNotFoundError
from lifting.pipeline import PipelineSettings, run_pipeline, single_thread_torch, video_identity


def test_missing_and_empty_inputs_fail_before_any_stage(tmp_path):
    with pytest.raises(VideoNotFoundError, match="No video chosen"):
        run_pipeline(PipelineSettings(video=""))
    with pytest.raises(VideoNotFoundError, match="not found"):
        run_pipeline(PipelineSettings(video=str(tmp_path / "none.mp4")))
    (tmp_path / "a.mp4").write_bytes(b"x")
    with pytest.raises(EmptyVideoError, match="frame range"):
        run_pipeline(PipelineSettings(video=str(tmp_path / "a.mp4"), start=5, end=5))


def test_bad_motion_settings_fail_before_any_stage(tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"not a video: detection would fail if it ran")
    for bad, match in (
        ({"subject_height": 0.3}, "Subject height"),
        ({"camera_height": -1.0}, "Camera height"),
        ({"tilt": 95.0}, "tilt"),
        ({"strength": 2.0}, "strength"),
    ):
        with pytest.raises(MotionSettingsError, match=match):
            run_pipeline(PipelineSettings(video=str(video), **bad))


def test_video_identity_changes_with_the_file(tmp_path):
    path = tmp_path / "a.mp4"
    path.write_bytes(b"one")
    first = video_identity(str(path))
    path.write_bytes(b"other")
    assert video_identity(str(path)) != first


def test_single_thread_torch_restores_the_setting():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with single_thread_torch():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
