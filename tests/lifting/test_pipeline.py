"""lifting/pipeline.py without running any stage: settings checks and the torch thread guard."""

import pytest

from lifting.errors import EmptyVideoError, VideoNotFoundError
from lifting.pipeline import PipelineSettings, run_pipeline, single_thread_torch, video_identity


def test_missing_and_empty_inputs_fail_before_any_stage(tmp_path):
    with pytest.raises(VideoNotFoundError, match="No video chosen"):
        run_pipeline(PipelineSettings(video=""))
    with pytest.raises(VideoNotFoundError, match="not found"):
        run_pipeline(PipelineSettings(video=str(tmp_path / "none.mp4")))
    (tmp_path / "a.mp4").write_bytes(b"x")
    with pytest.raises(EmptyVideoError, match="frame range"):
        run_pipeline(PipelineSettings(video=str(tmp_path / "a.mp4"), start=5, end=5))


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
