"""Video input through OpenCV: any file OpenCV reads, or a folder of numbered images.

Frames come out upright (rotation metadata honoured), as ``(H, W, 3) uint8`` BGR images with
their frame index and a timestamp in seconds.

- **Rotation.** Phone videos store their orientation as a display matrix. OpenCV 4.11's FFmpeg
  backend reports it as ``CAP_PROP_ORIENTATION_META`` (degrees) but, as measured with the
  ``opencv-contrib-python`` 4.11.0.86 wheel MediaPipe installs, ``CAP_PROP_ORIENTATION_AUTO``
  is *off* by default: frames come out sideways. We switch it on; a backend that refuses is
  rotated here instead (``cv2.rotate``). Images in folders are rotated by ``cv2.imread``,
  which honours EXIF orientation.
- **Timestamps** are the decoder's presentation times (``CAP_PROP_POS_MSEC``), relative to the
  first frame, so variable-frame-rate footage keeps its timing. Where a backend gives none,
  the nominal ``index / fps`` is used.
- **Frame indices** count decoded frames from 0. FFmpeg silently drops frames it cannot
  decode; in a constant-frame-rate file that shows as a timestamp skipping whole frame
  intervals, so the index skips too (it stays ``round(timestamp * fps)``) and the lost slots
  are recorded in :attr:`VideoSource.failed`. Once a timestamp falls off that grid the file has
  a variable frame rate (OpenCV then reports the *average* rate): gaps are its timing, not
  losses, and indices simply count frames. Frames the container announced that never decoded
  (a truncated file) are recorded too. Reading continues past every failure.
- **Image folders**: files with an image extension, sorted by the last number in their name;
  the frame index is the position in that order and the timestamp ``index / image_fps``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EmptyVideoError, NotAVideoError, VideoNotFoundError

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".ppm", ".pgm", ".exr"}
)
MAX_CONSECUTIVE_MISSES = 8  # failed grabs in a row before a file is taken to end there
OFF_GRID = 0.25  # frame intervals a timestamp may stray from the nominal grid (jitter)
_MAX_PLAUSIBLE_COUNT = 10**9


@dataclass(frozen=True)
class VideoInfo:
    """What a video says about itself.

    ``frame_count`` is the container's count (0 if unknown; some formats only estimate it),
    ``fps`` its nominal rate, ``width`` and ``height`` the upright frame size in pixels,
    ``rotation`` the clockwise degrees applied to decoded frames, ``kind`` "file" or "images".
    """

    path: str
    kind: str
    frame_count: int
    fps: float
    width: int
    height: int
    rotation: int = 0


@dataclass
class Frame:
    """One decoded frame: ``index`` in the video, ``timestamp`` s, ``image`` (H, W, 3) BGR."""

    index: int
    timestamp: float
    image: np.ndarray


@dataclass
class VideoSource:
    """An opened video or image folder. Use :func:`open_video`; iterate with :meth:`frames`.

    ``failed`` lists (ascending, no repeats) the indices of frames within the requested range
    that could not be decoded.
    """

    info: VideoInfo
    _cap: object = None
    _images: list[Path] = field(default_factory=list)
    _manual_rotation: int = 0
    failed: list[int] = field(default_factory=list)

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def frames(self, start: int = 0, end: int | None = None, stride: int = 1) -> Iterator[Frame]:
        """Yield frames ``start, start + stride, ...`` below ``end`` (None: to the last frame).

        A source is read once, front to back: call this once per :class:`VideoSource`.
        Frames before ``start`` are decoded (not converted), so indices and timestamps stay
        exact for every file, variable frame rate included.
        """
        if start < 0 or stride < 1 or (end is not None and end < start):
            raise ValueError(f"bad frame range start={start} end={end} stride={stride}")
        if self.info.kind == "images":
            yield from self._image_frames(start, end, stride)
        else:
            yield from self._file_frames(start, end, stride)

    def _record(self, indices: range, start: int, end: int | None, stride: int) -> None:
        for i in indices:
            if i >= start and (end is None or i < end) and (i - start) % stride == 0:
                self.failed.append(i)

    def _image_frames(self, start: int, end: int | None, stride: int) -> Iterator[Frame]:
        import cv2

        stop = len(self._images) if end is None else min(end, len(self._images))
        for index in range(start, stop, stride):
            image = cv2.imread(str(self._images[index]), cv2.IMREAD_COLOR)
            if image is None or image.shape[:2] != (self.info.height, self.info.width):
                self.failed.append(index)
                continue
            yield Frame(index, index / self.info.fps, image)

    def _file_frames(self, start: int, end: int | None, stride: int) -> Iterator[Frame]:
        cap, info = self._cap, self.info
        index, misses, first_ts, prev_ts = 0, 0, None, -math.inf
        on_grid = info.fps > 0  # every timestamp so far a whole number of frame intervals
        while end is None or index < end:
            if not cap.grab():
                misses += 1
                if misses < MAX_CONSECUTIVE_MISSES and index < info.frame_count:
                    continue
                self._record(range(index, info.frame_count), start, end, stride)
                return
            misses = 0
            ts, first_ts = _timestamp(cap, index, info.fps, first_ts, prev_ts)
            slot = round(ts * info.fps) if on_grid else index
            on_grid = on_grid and abs(ts * info.fps - slot) <= OFF_GRID
            if on_grid and slot > index:  # the decoder skipped frames it could not decode
                self._record(range(index, slot), start, end, stride)
                index = slot
                if end is not None and index >= end:
                    return
            prev_ts = ts
            if index >= start and (index - start) % stride == 0:
                ok, image = cap.retrieve()
                if ok and image is not None:
                    yield Frame(index, ts, _rotate(image, self._manual_rotation))
                else:
                    self.failed.append(index)
            index += 1


def _timestamp(cap, index: int, fps: float, first_ts, prev_ts: float) -> tuple[float, float]:
    """(timestamp s relative to the first frame, first frame's raw timestamp s)."""
    import cv2

    raw = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
    if not math.isfinite(raw) or raw < 0 or raw > 1e7:
        raw = None
    if first_ts is None:
        first_ts = raw if raw is not None else 0.0
    nominal = index / fps if fps > 0 else float(index)
    if raw is None:
        return nominal, first_ts
    ts = raw - first_ts
    if ts <= prev_ts:  # no real timing from this backend: fall back to the nominal rate
        ts = nominal if nominal > prev_ts else prev_ts + (1.0 / fps if fps > 0 else 1.0)
    return ts, first_ts


def _rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    import cv2

    codes = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }
    return cv2.rotate(image, codes[degrees]) if degrees in codes else image


def numbered_images(folder: Path) -> list[Path]:
    """Image files in ``folder`` sorted by the last number in their name, then by name."""

    def key(path: Path) -> tuple[int, str]:
        numbers = re.findall(r"\d+", path.stem)
        return (int(numbers[-1]) if numbers else -1, path.name)

    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    return sorted(files, key=key)


def open_video(path: str | Path, *, image_fps: float = 30.0) -> VideoSource:
    """Open a video file or a folder of numbered images (played at ``image_fps``).

    Raises VideoNotFoundError (no such path), EmptyVideoError (no frames),
    NotAVideoError (nothing OpenCV can decode).
    """
    path = Path(path)
    if not path.exists():
        raise VideoNotFoundError(
            f"No video at '{path}'. Check the path, or choose a video file or an image folder."
        )
    if path.is_dir():
        return _open_folder(path, image_fps)
    return _open_file(path)


def probe(path: str | Path, *, image_fps: float = 30.0) -> VideoInfo:
    """:class:`VideoInfo` of a video or image folder (same errors as :func:`open_video`)."""
    with open_video(path, image_fps=image_fps) as source:
        return source.info


def _open_folder(folder: Path, image_fps: float) -> VideoSource:
    import cv2

    images = numbered_images(folder)
    if not images:
        raise EmptyVideoError(
            f"The folder '{folder}' holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))}). "
            "Choose a folder of numbered frames or a video file."
        )
    for image_path in images[:MAX_CONSECUTIVE_MISSES]:
        first = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
        if first is not None:
            break
    else:
        raise NotAVideoError(
            f"None of the first images in '{folder}' can be read. Re-export the frames as "
            "PNG or JPEG."
        )
    height, width = first.shape[:2]
    info = VideoInfo(str(folder), "images", len(images), float(image_fps), width, height)
    return VideoSource(info, _images=images)


def _open_file(path: Path) -> VideoSource:
    import cv2

    if path.stat().st_size == 0:
        raise EmptyVideoError(f"'{path}' is empty (0 bytes). Choose another video.")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise NotAVideoError(
            f"OpenCV cannot read '{path}' as a video. Convert it to MP4 (H.264) and try again."
        )
    auto = cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1) and cap.get(cv2.CAP_PROP_ORIENTATION_AUTO)
    meta = round(cap.get(cv2.CAP_PROP_ORIENTATION_META)) % 360
    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    count = int(count) if 0 < count < _MAX_PLAUSIBLE_COUNT else 0
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = float(fps) if 0 < fps < 1000 else 0.0
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    manual = 0 if auto else meta
    if manual in (90, 270):
        width, height = height, width
    if count == 0 and not _has_a_frame(path):
        cap.release()
        raise EmptyVideoError(f"'{path}' contains no frames. Choose another video.")
    info = VideoInfo(str(path), "file", count, fps or 30.0, width, height, meta)
    return VideoSource(info, _cap=cap, _manual_rotation=manual)


def _has_a_frame(path: Path) -> bool:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return bool(cap.grab())
    finally:
        cap.release()
