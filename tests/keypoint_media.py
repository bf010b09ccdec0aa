"""Small videos made on the fly for the video and keypoint tests (OpenCV writers, real frames).

The person is Grace Hopper's portrait shipped with matplotlib (a real photograph, upper body),
pasted onto a grey canvas and moved a little from frame to frame.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import matplotlib
import numpy as np

PORTRAIT = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
SIZE = (640, 480)  # width, height


def numbered_frame(i: int, size=(160, 120)) -> np.ndarray:
    """A BGR frame showing ``i`` < 64 as six black/white blocks, with a green top-left mark."""
    w, h = size
    img = np.full((h, w, 3), 128, np.uint8)
    img[0:10, 0:20] = (0, 255, 0)
    for bit in range(6):
        img[h - 30 : h - 10, 10 + 24 * bit : 26 + 24 * bit] = 255 if i >> bit & 1 else 0
    return img


def frame_number(img: np.ndarray) -> int:
    """Inverse of :func:`numbered_frame` (robust to compression noise)."""
    h = img.shape[0]
    blocks = [img[h - 25 : h - 15, 14 + 24 * bit : 22 + 24 * bit].mean() for bit in range(6)]
    return sum(1 << bit for bit, level in enumerate(blocks) if level > 128)


def person_frames(n: int, size=SIZE) -> list[np.ndarray]:
    """n BGR frames of the portrait drifting on a grey canvas."""
    portrait = cv2.imread(str(PORTRAIT))
    w, h = size
    scale = 0.65 * h / portrait.shape[0]
    small = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((h, w, 3), 90, np.uint8)
    y0, x0 = h // 20, (w - small.shape[1]) // 2
    canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    frames = []
    for i in range(n):
        shift = np.float32([[1, 0, 30 * np.sin(i / 20)], [0, 1, 8 * np.cos(i / 15)]])
        frames.append(cv2.warpAffine(canvas, shift, (w, h), borderValue=(90, 90, 90)))
    return frames


def noise_frames(n: int, size=SIZE, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    w, h = size
    return [rng.integers(0, 256, (h, w, 3), np.uint8) for _ in range(n)]


def write_video(path: Path, frames, fps: float = 30.0, fourcc: str = "mp4v") -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cannot write {path}"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def set_mp4_rotation(src: Path, dst: Path, degrees: int) -> Path:
    """Copy an MP4 with its track's display matrix set to rotate by ``degrees`` clockwise.

    That is how phones store orientation: the pixels stay landscape, the matrix (in the
    ``tkhd`` box, version 0) says how to show them.
    """
    data = bytearray(src.read_bytes())
    at = data.find(b"tkhd")
    assert at > 0 and data[at + 4] == 0, "expected a version-0 tkhd box"
    matrix = at + 4 + 40  # after version/flags, times, track id, duration, layer, volume
    values = list(struct.unpack(">9i", data[matrix : matrix + 36]))
    cos, sin = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[degrees]
    values[0], values[1], values[3], values[4] = cos << 16, sin << 16, -sin << 16, cos << 16
    data[matrix : matrix + 36] = struct.pack(">9i", *values)
    dst.write_bytes(bytes(data))
    return dst


_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


def _box_path(data: bytes, target: bytes, start: int = 0, end: int | None = None) -> tuple:
    """Offsets of the boxes from the top level down to the first ``target`` box, or ()."""
    pos, end = start, len(data) if end is None else end
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == target:
            return (pos,)
        if kind in _CONTAINERS:
            inner = _box_path(data, target, pos + 8, pos + size)
            if inner:
                return (pos, *inner)
        pos += size
    return ()


def set_mp4_frame_durations(src: Path, dst: Path, runs: list[tuple[int, int]]) -> Path:
    """Copy an MP4 (one track, ``moov`` after ``mdat``) with variable frame durations.

    ``runs`` = [(frames, duration in the track's timescale), ...] replace the time-to-sample
    table; the media, track, movie and edit-list durations are updated to match.
    """
    data = bytearray(src.read_bytes())
    path = _box_path(data, b"stts")
    at = path[-1]
    old_size = struct.unpack(">I", data[at : at + 4])[0]
    body = struct.pack(">II", 0, len(runs)) + b"".join(struct.pack(">II", *r) for r in runs)
    data[at : at + old_size] = struct.pack(">I4s", 8 + len(body), b"stts") + body
    for parent in path[:-1]:  # the boxes around stts grow with it
        size = struct.unpack(">I", data[parent : parent + 4])[0]
        data[parent : parent + 4] = struct.pack(">I", size + 8 + len(body) - old_size)
    total = sum(n * d for n, d in runs)
    mdhd, mvhd, tkhd = (_box_path(data, k)[-1] for k in (b"mdhd", b"mvhd", b"tkhd"))
    media_scale = struct.unpack(">I", data[mdhd + 20 : mdhd + 24])[0]
    movie_scale = struct.unpack(">I", data[mvhd + 20 : mvhd + 24])[0]
    movie_total = total * movie_scale // media_scale
    data[mdhd + 24 : mdhd + 28] = struct.pack(">I", total)
    data[mvhd + 24 : mvhd + 28] = struct.pack(">I", movie_total)
    data[tkhd + 28 : tkhd + 32] = struct.pack(">I", movie_total)
    elst = _box_path(data, b"elst")
    if elst:
        data[elst[-1] + 16 : elst[-1] + 20] = struct.pack(">I", movie_total)
    dst.write_bytes(bytes(data))
    return dst


def handoff_row(one: np.ndarray, two: np.ndarray, run: int = 5) -> int | None:
    """First row of the first ``run`` consecutive rows where keypoints ``one`` and ``two``
    (T, 33, 3) differ: where a parallel track switches to the second worker's rows.

    A lone differing row is not a hand-over: MediaPipe is occasionally not bit-exact between
    two runs on the same frames (seen once at a re-detection).
    """
    differs = (one != two).any(axis=tuple(range(1, one.ndim)))
    for row in range(len(differs) - run + 1):
        if differs[row : row + run].all():
            return row
    return None
