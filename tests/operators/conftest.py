"""Operator-tier fixtures: real video files made with OpenCV."""

from __future__ import annotations

import pytest
from blender_helpers import write_video


@pytest.fixture
def noise_video(tmp_path):
    return write_video(tmp_path / "noise.mp4")


@pytest.fixture
def corrupt_video(tmp_path):
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    return path
