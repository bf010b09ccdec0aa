"""extract_keypoints on real frames (a photographed person), and every error path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from keypoint_media import noise_frames, person_frames, write_video

from lifting.errors import (
    EmptyVideoError,
    ModelNotFoundError,
    NoPersonFoundError,
    NotAVideoError,
    VideoNotFoundError,
)
from lifting.keypoints import DetectorSettings, extract_keypoints
from lifting.keypoints.extract import landmark_model_path
from lifting.skeleton import JOINT_INDEX

N = 24


@pytest.fixture(scope="module")
def person_video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("person") / "person.mp4", person_frames(N))


@pytest.fixture(scope="module")
def track(person_video):
    return extract_keypoints(person_video, workers=1)


def test_person_found_in_every_frame_with_pixel_landmarks(track):
    assert len(track) == N and track.detected.all()
    assert (track.width, track.height, track.fps, track.stride) == (640, 480, 30.0, 1)
    np.testing.assert_array_equal(track.frame_indices, np.arange(N))
    np.testing.assert_allclose(track.timestamps, np.arange(N) / 30, atol=1e-3)
    nose, l_shoulder, r_shoulder = (
        track.keypoints[:, 0],
        track.keypoints[:, 11],
        track.keypoints[:, 12],
    )
    # pixel units, inside the frame; the portrait faces us: her left shoulder is image right
    assert (nose[:, 0] > 200).all() and (nose[:, 0] < 440).all()
    assert (nose[:, 1] > 30).all() and (nose[:, 1] < l_shoulder[:, 1]).all()
    assert (l_shoulder[:, 0] > r_shoulder[:, 0]).all()
    assert (nose[:, 2] > 0.9).all()  # visibility
    assert np.isnan(track.presence).all()  # solutions.pose reports no presence
    # world landmarks: metres around the hips, shoulders ~ 0.3-0.5 m apart
    width = np.linalg.norm(track.world[:, 11] - track.world[:, 12], axis=-1)
    assert ((width > 0.2) & (width < 0.6)).all()


def test_lift2d_is_the_blazepose_mapping(track):
    from lifting.keypoints.blazepose import to_lift

    np.testing.assert_array_equal(track.lift2d, to_lift(track.keypoints, track.keypoints[..., 2]))
    l_shoulder = track.lift2d[:, JOINT_INDEX["l_shoulder"]]
    np.testing.assert_array_equal(l_shoulder, track.keypoints[:, 11])


def test_range_and_stride(person_video, track):
    part = extract_keypoints(person_video, start=3, end=20, stride=4, workers=1)
    np.testing.assert_array_equal(part.frame_indices, [3, 7, 11, 15, 19])
    assert part.fps == pytest.approx(7.5)
    np.testing.assert_allclose(part.timestamps, part.frame_indices / 30, atol=1e-3)
    # the tracker sees different frames, so only the gist agrees with the full track
    np.testing.assert_allclose(part.keypoints[:, 0, :2], track.keypoints[3:20:4, 0, :2], atol=15)


def test_progress_rises_to_one(person_video):
    seen = []
    extract_keypoints(person_video, end=10, workers=1, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 10


def test_frames_without_a_person_are_marked_not_dropped(tmp_path):
    frames = person_frames(12)
    frames[4:8] = [np.full_like(frames[0], 90)] * 4  # the person left: empty grey backdrop
    track = extract_keypoints(write_video(tmp_path / "gap.mp4", frames), workers=1)
    assert len(track) == 12
    np.testing.assert_array_equal(track.detected, [True] * 4 + [False] * 4 + [True] * 4)
    assert np.isnan(track.keypoints[4:8, :, :2]).all() and (track.keypoints[4:8, :, 2] == 0).all()
    assert np.isnan(track.world[4:8]).all()
    assert np.isnan(track.lift2d[4:8, :, :2]).all() and (track.lift2d[4:8, :, 2] == 0).all()


def test_no_person_anywhere(tmp_path):
    with pytest.raises(NoPersonFoundError, match="no person"):
        extract_keypoints(write_video(tmp_path / "noise.mp4", noise_frames(10)), workers=1)


def test_missing_file(tmp_path):
    with pytest.raises(VideoNotFoundError):
        extract_keypoints(tmp_path / "missing.mp4")


def test_text_file_renamed_mp4(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video\n" * 100)
    with pytest.raises(NotAVideoError):
        extract_keypoints(fake)


def test_zero_frames_and_empty_range(tmp_path, person_video):
    zero = tmp_path / "zero.avi"
    cv2.VideoWriter(str(zero), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48)).release()
    with pytest.raises(EmptyVideoError):
        extract_keypoints(zero)
    with pytest.raises(EmptyVideoError, match="outside"):
        extract_keypoints(person_video, start=N + 5)


def test_truncated_video_keeps_what_decodes_and_records_the_rest(tmp_path):
    avi = write_video(tmp_path / "p.avi", person_frames(N), fourcc="MJPG")
    data = avi.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    track = extract_keypoints(cut, workers=1)
    assert 5 < len(track) < N and track.detected.all()
    np.testing.assert_array_equal(track.failed_frames, np.arange(len(track), N))


def test_damaged_frames_mid_way_are_skipped_and_recorded(tmp_path, person_video):
    data = bytearray(person_video.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = np.random.default_rng(0).bytes(4000)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    track = extract_keypoints(broken, workers=1)
    failed = set(track.failed_frames.tolist())
    assert failed and max(failed) < N - 1
    assert sorted(failed | set(track.frame_indices.tolist())) == list(range(N))
    assert track.frame_indices[-1] == N - 1


@pytest.mark.parametrize("complexity", [0, 2])
def test_lite_and_heavy_models_are_unavailable_offline(person_video, complexity):
    if landmark_model_path(complexity).exists():
        pytest.skip("this MediaPipe install has the model file already")
    with pytest.raises(ModelNotFoundError, match="offline"):
        extract_keypoints(person_video, settings=DetectorSettings(model_complexity=complexity))
