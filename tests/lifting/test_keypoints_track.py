"""Track2D: npz round trip, validation, malformed files."""

from __future__ import annotations

import numpy as np
import pytest

from lifting.errors import FileFormatError
from lifting.keypoints.track import FORMAT_VERSION, Track2D


def make_track(t: int = 5) -> Track2D:
    rng = np.random.default_rng(1)
    keypoints = rng.uniform(0, 400, (t, 33, 3)).astype(np.float32)
    keypoints[1, :, :2] = np.nan  # an undetected frame
    keypoints[1, :, 2] = 0
    return Track2D(
        keypoints=keypoints,
        presence=np.full((t, 33), np.nan, np.float32),
        world=rng.normal(0, 0.5, (t, 33, 3)),
        lift2d=rng.uniform(0, 400, (t, 21, 3)),
        detected=np.arange(t) != 1,
        timestamps=np.arange(t) / 30.0,
        frame_indices=np.arange(t) * 2 + 10,
        fps=15.0,
        width=640,
        height=480,
        source="/videos/walk.mp4",
        stride=2,
        failed_frames=[12],
    )


def test_round_trip_keeps_every_field(tmp_path):
    track = make_track()
    path = track.save(tmp_path / "kp.npz")
    with np.load(path) as data:
        assert int(data["format_version"]) == FORMAT_VERSION
        assert list(data["joint_names"])[:2] == ["pelvis", "r_hip"]
    back = Track2D.load(path)
    for name in ("keypoints", "presence", "world", "lift2d", "detected", "timestamps"):
        np.testing.assert_array_equal(getattr(back, name), getattr(track, name), err_msg=name)
        assert getattr(back, name).dtype == getattr(track, name).dtype
    np.testing.assert_array_equal(back.frame_indices, track.frame_indices)
    np.testing.assert_array_equal(back.failed_frames, [12])
    assert (back.fps, back.width, back.height, back.source, back.stride) == (
        15.0,
        640,
        480,
        "/videos/walk.mp4",
        2,
    )
    assert back.keypoints.dtype == np.float32 and back.timestamps.dtype == np.float64
    assert len(back) == 5


def test_save_does_not_append_a_suffix(tmp_path):
    path = make_track().save(tmp_path / "kp.keypoints")
    assert path.exists() and Track2D.load(path).width == 640


def test_shapes_are_checked():
    track = make_track()
    with pytest.raises(FileFormatError, match="lift2d"):
        Track2D(**{**vars(track), "lift2d": np.zeros((5, 17, 3))})
    with pytest.raises(FileFormatError, match="detected"):
        Track2D(**{**vars(track), "detected": np.ones(4, bool)})


def rewrite(tmp_path, **changes):
    path = make_track().save(tmp_path / "kp.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del arrays[key]
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    return bad


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format_version": np.asarray(99)}, "format_version 99"),
        ({"format_version": None}, "format_version None"),
        ({"world": None}, "lacks arrays"),
        ({"keypoints": np.zeros((5, 17, 3))}, "keypoints"),
        ({"joint_names": np.asarray(["a", "b"])}, "lift layout"),
        ({"fps": np.zeros(3)}, "malformed"),
    ],
)
def test_malformed_files_raise_file_format_error(tmp_path, changes, message):
    with pytest.raises(FileFormatError, match=message):
        Track2D.load(rewrite(tmp_path, **changes))


def test_not_an_npz_at_all(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_text("hello")
    with pytest.raises(FileFormatError, match="not a keypoints"):
        Track2D.load(junk)
    truncated = tmp_path / "cut.npz"
    truncated.write_bytes(make_track().save(tmp_path / "ok.npz").read_bytes()[:300])
    with pytest.raises(FileFormatError):
        Track2D.load(truncated)
