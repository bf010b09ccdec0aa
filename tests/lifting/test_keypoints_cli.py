"""``python -m lifting keypoints``: writes a Track2D npz, never overwrites, errors on stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from keypoint_media import person_frames, write_video

from lifting.keypoints.track import Track2D

ROOT = Path(__file__).resolve().parents[2]


def lift(*args, env_home=None):
    env = None
    if env_home is not None:
        import os

        env = {**os.environ, "XDG_CACHE_HOME": str(env_home)}
    return subprocess.run(
        [sys.executable, "-m", "lifting", "keypoints", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("cli") / "clip.mp4", person_frames(12))


def test_writes_the_documented_npz_and_refuses_to_overwrite(tmp_path, video):
    out = tmp_path / "kp.npz"
    done = lift(
        video,
        "--out",
        out,
        "--workers",
        "1",
        "--start",
        "2",
        "--end",
        "10",
        env_home=tmp_path / "xdg",
    )
    assert done.returncode == 0, done.stderr
    assert "8 frames, person in 8" in done.stdout
    with np.load(out) as data:
        assert int(data["format_version"]) == 1
        assert data["keypoints"].shape == (8, 33, 3) and data["world"].shape == (8, 33, 3)
        assert data["lift2d"].shape == (8, 21, 3) and data["detected"].all()
        assert data["timestamps"].shape == (8,) and float(data["fps"]) == 30.0
        assert (int(data["width"]), int(data["height"])) == (640, 480)
    assert Track2D.load(out).frame_indices.tolist() == list(range(2, 10))
    assert list((tmp_path / "xdg" / "lift" / "keypoints").glob("*.npz"))  # default cache used
    before = out.read_bytes()
    again = lift(video, "--out", out, "--no-cache")
    assert again.returncode == 1 and "exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == before


def test_missing_video_is_an_error_line(tmp_path):
    done = lift(tmp_path / "nope.mp4", "--out", tmp_path / "kp.npz", "--no-cache")
    assert done.returncode == 1
    assert done.stderr.startswith("error: No video at")
    assert not (tmp_path / "kp.npz").exists()
