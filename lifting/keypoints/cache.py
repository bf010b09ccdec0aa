"""On-disk cache of keypoint tracks, keyed by file identity, settings and MediaPipe version.

The key is a SHA-256 over: the video's identity (file size plus its first and last 64 KiB;
for an image folder, every image's name, size and first and last 4 KiB), the extraction
settings (frame range, stride, MediaPipe options), the Track2D format version and the
MediaPipe and OpenCV versions. Renaming or moving a video keeps its cache entry; editing it,
changing a setting or upgrading MediaPipe makes a new one. The worker count is not part of the
key: parallel extraction gives the same track as one process (see parallel.py).

Entries are ``<cache_dir>/<key>.npz`` Track2D files, written atomically. A damaged entry is a
miss and is replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..errors import FileFormatError
from ..video import numbered_images
from .track import FORMAT_VERSION, Track2D

HEAD_TAIL_BYTES = 64 * 1024
IMAGE_HEAD_TAIL_BYTES = 4 * 1024


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/lift/keypoints``, else ``~/.cache/lift/keypoints``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lift" / "keypoints"


def _update_with_file(digest, path: Path, nbytes: int, name: str = "") -> None:
    size = path.stat().st_size
    digest.update(f"{name}:{size}:".encode())
    with open(path, "rb") as f:
        digest.update(f.read(nbytes))
        if size > nbytes:
            f.seek(max(size - nbytes, nbytes))
            digest.update(f.read(nbytes))


def file_identity(video: str | Path) -> str:
    """Hex SHA-256 of a video file's size, head and tail (or of an image folder's files)."""
    path = Path(video)
    digest = hashlib.sha256()
    if path.is_dir():
        digest.update(b"images:")
        for image in numbered_images(path):
            _update_with_file(digest, image, IMAGE_HEAD_TAIL_BYTES, image.name)
    else:
        digest.update(b"file:")
        _update_with_file(digest, path, HEAD_TAIL_BYTES)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Versions of the libraries whose output the cache stores."""
    import cv2
    import mediapipe

    return {"mediapipe": mediapipe.__version__, "opencv": cv2.__version__}


def cache_key(video: str | Path, settings: dict) -> str:
    """Hex key for ``video`` processed with ``settings`` (a JSON-serialisable dict)."""
    payload = {
        "identity": file_identity(video),
        "settings": settings,
        "format_version": FORMAT_VERSION,
        "versions": versions(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def cache_path(cache_dir: str | Path, key: str) -> Path:
    return Path(cache_dir) / f"{key}.npz"


def load(cache_dir: str | Path, key: str) -> Track2D | None:
    """The cached track for ``key``, or None (missing or unreadable entry)."""
    path = cache_path(cache_dir, key)
    if not path.is_file():
        return None
    try:
        return Track2D.load(path)
    except FileFormatError:
        return None


def store(cache_dir: str | Path, key: str, track: Track2D) -> Path:
    """Write ``track`` under ``key`` (atomically: readers never see half a file)."""
    directory = Path(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".npz", dir=directory)
    os.close(fd)
    try:
        track.save(tmp)
        os.replace(tmp, cache_path(directory, key))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return cache_path(directory, key)
