"""Load a split of the shared mocap as lift-layout clips, resampled, with a disk cache.

``load_split("train")`` reads every BVH of the split (``splits.json``), maps it to the lift
layout (world metres, Z up, floor at 0; :mod:`.skeletons`), resamples it to ``fps`` and caches
the result as one npz per (split, fps, file list, code version) under ``~/.cache/lift/mocap``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from ..errors import BVHParseError, MocapDataError
from ..progress import ProgressFn, no_progress
from .bvh import load_bvh
from .skeletons import detect_source, to_lift

CODE_VERSION = 2  # bump when the mapping or resampling changes: invalidates caches
MAX_SPEED = 12.0  # m/s: a joint moving faster between two frames is a capture glitch
MIN_FRAMES = 15  # shortest piece kept when a clip is cut at glitches (target fps)
FORMAT_VERSION = 1


@dataclass
class MocapClip:
    """One mocap take: ``joints`` (T, 21, 3) float32 world metres, Z up, floor at Z = 0."""

    name: str  # path relative to the mocap folder, e.g. "cmu/007_02.bvh.gz"
    source: str  # "bandai" or "cmu"
    action: str  # Bandai content label ("walk"), CMU trial description
    joints: np.ndarray
    fps: float


def default_mocap_dir() -> Path:
    """``<repo>/../shared/mocap``."""
    return Path(__file__).resolve().parents[3] / "shared" / "mocap"


def default_cache_dir() -> Path:
    return Path(os.environ.get("LIFT_CACHE", Path.home() / ".cache" / "lift")) / "mocap"


def split_files(split: str, mocap_dir: Path) -> list[str]:
    """Relative paths of the BVH files of ``split`` ("train" or "val") from splits.json."""
    path = mocap_dir / "splits.json"
    if not path.is_file():
        raise MocapDataError(f"{path} not found. Point mocap_dir at the shared mocap folder.")
    splits = json.loads(path.read_text())
    if split not in splits:
        raise MocapDataError(f"{path} has no split {split!r}; choose one of {sorted(splits)}.")
    return list(splits[split])


def resample(joints: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Linear resampling in time of (T, ...) frames from ``src_fps`` to ``dst_fps``.

    Sample i of the output is at time i / dst_fps (the first frame is kept); integer ratios
    give plain decimation (60 → 30 keeps every other frame).
    """
    if abs(src_fps - dst_fps) < 1e-6 * dst_fps or len(joints) < 2:
        return joints
    n_out = int(np.floor((len(joints) - 1) * dst_fps / src_fps + 1e-9)) + 1
    t = np.arange(n_out) * (src_fps / dst_fps)
    lo = np.minimum(np.floor(t).astype(int), len(joints) - 1)
    hi = np.minimum(lo + 1, len(joints) - 1)
    w = (t - lo).reshape((-1,) + (1,) * (joints.ndim - 1))
    return (joints[lo] * (1 - w) + joints[hi] * w).astype(joints.dtype)


def file_fps(frame_time: float) -> float:
    """Frame rate from a BVH frame time, rounded to 0.01 (0.0333333 s → 30, 0.016667 → 60)."""
    return round(1.0 / frame_time, 2)


def _cmu_descriptions(mocap_dir: Path) -> dict[str, str]:
    path = mocap_dir / "cmu" / "trials.csv"
    if not path.is_file():
        return {}
    with open(path, newline="") as fh:
        return {row["file"]: row["description"] for row in csv.DictReader(fh)}


def action_of(name: str, descriptions: dict[str, str]) -> str:
    """Bandai: the content label in the file name; CMU: the trial description."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base.startswith("dataset-"):
        return base.split("_")[1]
    return descriptions.get(base, base.split(".")[0])


def load_clip(mocap_dir: Path, name: str, fps: float, descriptions=None) -> MocapClip:
    """Read one BVH (path relative to ``mocap_dir``) as a resampled :class:`MocapClip`."""
    bvh = load_bvh(mocap_dir / name)
    joints = resample(to_lift(bvh), file_fps(bvh.frame_time), fps)
    action = action_of(name, descriptions or {})
    return MocapClip(name, detect_source(bvh), action, joints, float(fps))


def split_at_glitches(joints: np.ndarray, fps: float, max_speed: float = MAX_SPEED) -> list:
    """Cut (T, J, 3) frames where any joint jumps faster than ``max_speed`` m/s between two
    frames (e.g. the knee flips in a few CMU dance takes, the arm jump in 003_02).

    Returns the list of [start, stop) frame ranges between glitches.
    """
    if len(joints) < 2:
        return [(0, len(joints))]
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1).max(axis=-1) * fps
    cuts = np.flatnonzero(speed > max_speed) + 1
    bounds = [0, *cuts.tolist(), len(joints)]
    return [(a, b) for a, b in pairwise(bounds) if b > a]


def load_clips(mocap_dir: Path, name: str, fps: float, descriptions=None) -> list[MocapClip]:
    """Like :func:`load_clip`, cut at capture glitches (:func:`split_at_glitches`) first.

    Pieces shorter than ``MIN_FRAMES`` (at ``fps``) are dropped; when several remain they are
    named ``<name>#<k>`` (k counts the file's pieces).
    """
    bvh = load_bvh(mocap_dir / name)
    src_fps = file_fps(bvh.frame_time)
    joints = to_lift(bvh)
    pieces = [resample(joints[a:b], src_fps, fps) for a, b in split_at_glitches(joints, src_fps)]
    pieces = [p for p in pieces if len(p) >= MIN_FRAMES]
    source, action = detect_source(bvh), action_of(name, descriptions or {})
    if len(pieces) == 1:
        return [MocapClip(name, source, action, pieces[0], float(fps))]
    return [MocapClip(f"{name}#{k}", source, action, p, float(fps)) for k, p in enumerate(pieces)]


def _cache_key(mocap_dir: Path, names: list[str], fps: float) -> str:
    h = hashlib.sha1(f"v{CODE_VERSION} fps={fps}".encode())
    for name in names:
        st = (mocap_dir / name).stat()
        h.update(f"|{name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def _save_cache(path: Path, clips: list[MocapClip], key: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + f".tmp{os.getpid()}.npz")
    np.savez(
        tmp,
        format_version=FORMAT_VERSION,
        key=key,
        names=np.array([c.name for c in clips]),
        sources=np.array([c.source for c in clips]),
        actions=np.array([c.action for c in clips]),
        lengths=np.array([len(c.joints) for c in clips], dtype=np.int64),
        fps=np.array([c.fps for c in clips]),
        joints=np.concatenate([c.joints for c in clips]).astype(np.float32),
    )
    os.replace(tmp, path)


def _load_cache(path: Path, key: str) -> list[MocapClip] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["format_version"]) != FORMAT_VERSION or str(z["key"]) != key:
                return None
            joints, lengths = z["joints"], z["lengths"]
            starts = np.concatenate([[0], np.cumsum(lengths)])
            return [
                MocapClip(str(n), str(s), str(a), joints[starts[i] : starts[i + 1]], float(f))
                for i, (n, s, a, f) in enumerate(
                    zip(z["names"], z["sources"], z["actions"], z["fps"], strict=True)
                )
            ]
    except (OSError, KeyError, ValueError):
        return None


def load_split(
    split: str,
    fps: float = 30,
    *,
    mocap_dir=None,
    cache_dir=None,
    files=None,
    progress: ProgressFn = no_progress,
) -> list[MocapClip]:
    """Clips of ``split`` ("train" | "val") at ``fps``, from the disk cache when valid.

    ``files``: load only these paths (relative to ``mocap_dir``) instead of the split's list
    (e.g. a handful for a smoke test); ``split`` then only names the cache file.
    ``cache_dir=False`` disables the cache. Takes with capture glitches are cut into pieces
    (:func:`load_clips`; piece names end in ``#k``). Raises :class:`MocapDataError` for a missing
    folder or file, :class:`BVHParseError` for a malformed BVH.
    """
    mocap_dir = Path(mocap_dir) if mocap_dir else default_mocap_dir()
    if not mocap_dir.is_dir():
        raise MocapDataError(f"mocap folder {mocap_dir} not found. Pass mocap_dir=...")
    names = list(files) if files is not None else split_files(split, mocap_dir)
    missing = [n for n in names if not (mocap_dir / n).is_file()]
    if missing:
        raise MocapDataError(f"{len(missing)} BVH files missing in {mocap_dir}: {missing[:3]}")
    key = _cache_key(mocap_dir, names, fps)
    cache = None
    if cache_dir is not False:
        cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        cache = cache_dir / f"{split}_{fps:g}fps_{key}.npz"
        clips = _load_cache(cache, key) if cache.is_file() else None
        if clips is not None:
            progress(1.0)
            return clips
    descriptions = _cmu_descriptions(mocap_dir)
    clips = []
    for i, name in enumerate(names):
        clips.extend(load_clips(mocap_dir, name, fps, descriptions))
        progress((i + 1) / len(names))
    if not clips:
        raise BVHParseError(f"no frames in any of the {len(names)} files of {split!r}.")
    if cache is not None:
        _save_cache(cache, clips, key)
    return clips
