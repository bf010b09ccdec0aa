"""lifting.video: frames, ranges, timestamps, rotation, image folders and every error path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from keypoint_media import (
    frame_number,
    numbered_frame,
    set_mp4_frame_durations,
    set_mp4_rotation,
    write_video,
)

from lifting.errors import EmptyVideoError, NotAVideoError, VideoNotFoundError
from lifting.video import open_video, probe

N = 40


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """A 40-frame numbered clip as MP4 (mp4v) and AVI (MJPG), 30 fps."""
    root = tmp_path_factory.mktemp("clips")
    frames = [numbered_frame(i) for i in range(N)]
    return {
        "mp4": write_video(root / "n.mp4", frames),
        "avi": write_video(root / "n.avi", frames, fourcc="MJPG"),
    }


def read_all(path, **kwargs):
    with open_video(path) as source:
        frames = list(source.frames(**kwargs))
        return frames, source.failed


@pytest.mark.parametrize("kind", ["mp4", "avi"])
def test_reads_every_frame_with_index_and_timestamp(clips, kind):
    info = probe(clips[kind])
    assert (info.frame_count, info.fps, info.width, info.height) == (N, 30.0, 160, 120)
    frames, failed = read_all(clips[kind])
    assert failed == []
    assert [f.index for f in frames] == list(range(N))
    assert [frame_number(f.image) for f in frames] == list(range(N))
    np.testing.assert_allclose([f.timestamp for f in frames], np.arange(N) / 30, atol=1e-3)
    assert frames[0].image.shape == (120, 160, 3) and frames[0].image.dtype == np.uint8


def test_range_and_stride_select_the_right_frames(clips):
    frames, _ = read_all(clips["mp4"], start=5, end=20, stride=4)
    assert [f.index for f in frames] == [5, 9, 13, 17]
    assert [frame_number(f.image) for f in frames] == [5, 9, 13, 17]
    np.testing.assert_allclose([f.timestamp for f in frames], np.array([5, 9, 13, 17]) / 30)


def test_bad_range_is_rejected(clips):
    with open_video(clips["mp4"]) as source, pytest.raises(ValueError):
        list(source.frames(start=5, end=2))


def test_timestamps_follow_the_container_not_the_count(tmp_path):
    """A 12.5 fps file: timestamps come from the decoder, 80 ms apart."""
    path = write_video(tmp_path / "slow.mp4", [numbered_frame(i) for i in range(10)], fps=12.5)
    frames, _ = read_all(path)
    np.testing.assert_allclose([f.timestamp for f in frames], np.arange(10) * 0.08, atol=1e-3)


@pytest.mark.parametrize("order", ["fast then slow", "slow then fast"])
def test_variable_frame_rate_keeps_its_timing_and_loses_nothing(clips, tmp_path, order):
    """20 frames at 30 fps and 20 at 15 fps (mp4v's timescale is 15360 per second)."""
    runs = [(20, 512), (20, 1024)] if order == "fast then slow" else [(20, 1024), (20, 512)]
    vfr = set_mp4_frame_durations(clips["mp4"], tmp_path / "vfr.mp4", runs)
    expected = np.concatenate([[0], np.cumsum(np.repeat([d for _, d in runs], 20))[:-1]]) / 15360
    frames, failed = read_all(vfr)
    assert failed == []
    assert [f.index for f in frames] == list(range(N))
    assert [frame_number(f.image) for f in frames] == list(range(N))
    np.testing.assert_allclose([f.timestamp for f in frames], expected, atol=1e-3)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotation_metadata_is_honoured(clips, tmp_path, degrees):
    rotated = set_mp4_rotation(clips["mp4"], tmp_path / f"r{degrees}.mp4", degrees)
    info = probe(rotated)
    assert info.rotation == degrees
    frames, _ = read_all(rotated, end=1)
    expected = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }[degrees]
    upright = cv2.rotate(numbered_frame(0), expected)
    assert frames[0].image.shape == upright.shape
    assert (info.height, info.width) == upright.shape[:2]
    green = frames[0].image[..., 1] > 200
    assert np.mean(green == (upright[..., 1] > 200)) > 0.99  # the mark is where it should be


def test_image_folder_sorted_by_number_with_an_unreadable_image(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(12):  # frame2 must come before frame10: numeric, not lexical order
        cv2.imwrite(str(folder / f"frame{i}.png"), numbered_frame(i))
    (folder / "frame7.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("ignored")
    info = probe(folder, image_fps=24)
    assert (info.kind, info.frame_count, info.fps, info.width) == ("images", 12, 24.0, 160)
    with open_video(folder, image_fps=24) as source:
        frames = list(source.frames(stride=1))
        assert source.failed == [7]
    assert [f.index for f in frames] == [i for i in range(12) if i != 7]
    assert [frame_number(f.image) for f in frames] == [f.index for f in frames]
    assert frames[-1].timestamp == pytest.approx(11 / 24)


def test_missing_path(tmp_path):
    with pytest.raises(VideoNotFoundError, match="Check the path"):
        probe(tmp_path / "nope.mp4")


def test_text_file_renamed_mp4_is_not_a_video(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    with pytest.raises(NotAVideoError, match="cannot read"):
        probe(fake)


def test_empty_file_and_zero_frame_video(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(EmptyVideoError, match="empty"):
        probe(tmp_path / "empty.mp4")
    zero = tmp_path / "zero.avi"
    writer = cv2.VideoWriter(str(zero), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    writer.release()  # a valid AVI header and no frames
    with pytest.raises(EmptyVideoError, match="no frames"):
        probe(zero)


def test_folder_without_images(tmp_path):
    with pytest.raises(EmptyVideoError, match="no images"):
        probe(tmp_path)


def test_truncated_file_records_the_frames_it_lost(clips, tmp_path):
    data = clips["avi"].read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) * 6 // 10])  # the AVI index at the end is gone too
    frames, failed = read_all(cut)
    decoded = [f.index for f in frames]
    assert 10 < len(decoded) < N
    assert decoded == list(range(len(decoded)))
    assert failed == list(range(len(decoded), N))


def test_frames_lost_mid_way_are_skipped_recorded_and_reading_goes_on(clips, tmp_path):
    data = bytearray(clips["mp4"].read_bytes())
    middle = len(data) // 2
    data[middle : middle + 3000] = np.random.default_rng(0).bytes(3000)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    frames, failed = read_all(broken)
    decoded = [f.index for f in frames]
    assert failed, "the damaged frames should be recorded"
    assert min(failed) > 0 and max(failed) < N - 1  # lost in the middle, not at the end
    assert sorted(decoded + failed) == list(range(N))
    assert decoded[-1] == N - 1  # reading went on after the damage
    for frame in frames:  # indices and timestamps stay on the time line
        assert frame.timestamp == pytest.approx(frame.index / 30, abs=1e-3)
