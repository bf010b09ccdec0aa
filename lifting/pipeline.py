"""The whole pipeline as three ordered stages over plain data: detect → lift → world.

1. ``detect``: 2D keypoints from the video (MediaPipe BlazePose) → :class:`Track2D`.
2. ``lift``: 2D → 3D with a bundled lifter → :class:`Pose3D` (camera frame, root-relative).
3. ``world``: smoothing, bone lengths, trajectory, floor, foot lock → :class:`Motion` (world).

The order is forced by the data: each stage needs the previous one's output. Results of the
first two are kept in memory (keyed by the video's identity and the settings that affect
them), so changing only world settings (smoothing, foot lock, root motion, camera) re-runs
only the world stage. Nothing here touches Blender; ``scene/apply.py`` turns the result into
Blender data.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EmptyVideoError, VideoNotFoundError
from .progress import check_cancel, stage_progress
from .skeleton import NUM_JOINTS

# (stage, start, end): each stage's slice of the overall progress bar, by typical run time.
STAGES: tuple[tuple[str, float, float], ...] = (
    ("detect", 0.0, 0.85),
    ("lift", 0.85, 0.95),
    ("world", 0.95, 1.0),
)
# With "Adapt to this video" (PipelineSettings.adapt_minutes > 0) adaptation takes most of the time.
ADAPT_STAGES: tuple[tuple[str, float, float], ...] = (
    ("detect", 0.0, 0.3),
    ("adapt", 0.3, 0.9),
    ("lift", 0.9, 0.95),
    ("world", 0.95, 1.0),
)
STAGE_LABELS = {
    "detect": "Detecting 2D keypoints",
    "adapt": "Adapting the lifter to this video",
    "lift": "Lifting to 3D",
    "world": "World motion",
}
_CACHE_SIZE = 4


@dataclass(frozen=True)
class PipelineSettings:
    """Everything the pipeline needs; plain values only (safe to pass to a worker thread).

    ``start``/``end``: video frame range (0-based, ``end`` exclusive, None = to the end);
    ``model``: a lifter name from ``lifting.models.registry`` ("default" allowed);
    ``smoothing`` (one_euro | butterworth | savgol | none) and ``strength`` 0..1;
    ``foot_lock`` (auto | always | never); ``in_place``: keep the root over the origin;
    ``focal_px``: the camera's focal length in pixels, or ``focal_35mm``: in millimetres,
    full-frame equivalent (36 mm wide); both None = the world stage's default;
    ``camera_height``: metres, None = estimate; ``subject_height``: the actor's standing height
    in metres (fixes the scale when the camera height is unknown), None = the lifter's body size;
    ``tilt``: the camera's downward tilt in degrees, None = estimate from the feet;
    ``cache_dir``: the keypoint disk cache;
    ``adapt_minutes``: > 0 adapts the lifter to this clip's 2D for that long before lifting
    (:mod:`lifting.adapt`; needs PyTorch; adapted weights cached per clip), 0 = off.
    """

    video: str
    start: int = 0
    end: int | None = None
    stride: int = 1
    model: str = "default"
    device: str | None = None
    smoothing: str = "one_euro"
    strength: float = 0.5
    foot_lock: str = "auto"
    in_place: bool = False
    focal_px: float | None = None
    focal_35mm: float | None = None
    camera_height: float | None = None
    subject_height: float | None = None
    tilt: float | None = None
    cache_dir: str | None = None
    adapt_minutes: float = 0.0


@dataclass
class PipelineResult:
    """``track`` (Track2D), ``pose`` (Pose3D), ``motion`` (Motion) and ``timings``: seconds per
    stage (``detect``, ``lift``, ``world``; a cached stage counts its lookup time;
    ``warm_up_wait``: waiting after detection for the warm-up of the later stages) plus
    ``cached``: the stages whose result came from the cache."""

    track: object
    pose: object
    motion: object
    timings: dict[str, float] = field(default_factory=dict)
    cached: tuple[str, ...] = ()


class _Memo:
    """A small thread-safe LRU of stage results."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            return None

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_tracks = _Memo(_CACHE_SIZE)
_poses = _Memo(_CACHE_SIZE)
_adapted = _Memo(_CACHE_SIZE)


def clear_cache() -> None:
    """Forget every in-memory stage result."""
    _tracks.clear()
    _poses.clear()
    _adapted.clear()


def video_identity(video: str) -> tuple:
    """What identifies a video's content cheaply: resolved path, size and modification time."""
    if not str(video).strip():
        raise VideoNotFoundError("No video chosen: pick a video file in the Lift sidebar.")
    path = Path(video)
    if not path.exists():
        raise VideoNotFoundError(f"Video not found: {video}. Choose an existing video file.")
    st = os.stat(path)
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def detect(settings: PipelineSettings, progress, cancel):
    """Stage 1: the video's 2D keypoints (Track2D)."""
    from .keypoints import extract_keypoints

    return extract_keypoints(
        settings.video,
        start=settings.start,
        end=settings.end,
        stride=settings.stride,
        cache_dir=settings.cache_dir,
        progress=progress,
        cancel=cancel,
    )


@contextmanager
def single_thread_torch():
    """Run torch (when it is the lifter's backend) on one intra-op thread inside the block; the
    previous setting is restored afterwards (torch's setting is process-wide).

    The lifters are small (a 150-frame clip is ~0.1 s on one thread), while torch's thread
    pool spin-waits: on a busy machine (detection workers, other programs) two threads made the
    same lift 20-60× slower in bench/blender.py runs. Detection, the costly stage, uses
    processes, not torch threads.
    """
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def lift(settings: PipelineSettings, track, progress, cancel):
    """Stage 2: 3D joints in the camera frame (Pose3D) from the track's lift-layout 2D."""
    from .inference import lift as lift_3d

    with single_thread_torch():
        return lift_3d(
            track.lift2d,
            track.width,
            track.height,
            model=settings.model,
            fps=track.fps,
            device=settings.device,
            progress=progress,
            cancel=cancel,
        )


def focal_px(settings: PipelineSettings, track) -> float | None:
    """The camera's focal length in px from the settings (px, or 35 mm equivalent), or None."""
    if settings.focal_px is None and settings.focal_35mm:
        return settings.focal_35mm / 36.0 * track.width
    return settings.focal_px


def adapt(settings: PipelineSettings, track, progress, cancel):
    """Optional stage: the lifter adapted to this clip's 2D (:class:`AdaptedModel`)."""
    from .adapt import adapt as adapt_lifter

    with single_thread_torch():
        return adapt_lifter(
            settings.model,
            track,
            60.0 * settings.adapt_minutes,
            progress,
            cancel,
            focal_px=focal_px(settings, track),
        )


def lift_adapted(adapted, track, progress, cancel):
    """Stage 2 with an adapted lifter pair (torch)."""
    from .adapt import lift_adapted as lift_with

    with single_thread_torch():
        return lift_with(
            adapted,
            track.lift2d,
            track.width,
            track.height,
            fps=track.fps,
            progress=progress,
            cancel=cancel,
        )


def world(settings: PipelineSettings, track, pose, progress, cancel):
    """Stage 3: world motion (Motion), Z up, floor at Z = 0."""
    from .motion.world import to_world

    return to_world(
        pose,
        track,
        focal_px=focal_px(settings, track),
        camera_height=settings.camera_height,
        subject_height=settings.subject_height,
        tilt=settings.tilt,
        in_place=settings.in_place,
        smoothing=settings.smoothing,
        strength=settings.strength,
        foot_lock=settings.foot_lock,
        progress=progress,
        cancel=cancel,
    )


def warm_up(settings: PipelineSettings) -> threading.Thread:
    """Import the lift and world stages (torch or ONNX Runtime, scipy), read the model's weights
    and run it once on a few blank frames, on a background thread while detection runs.

    Detection keeps the CPU busy in its own processes; these imports take seconds on their own
    and would otherwise add to the total after detection. Errors are ignored here: the stage
    itself raises them with its own message.
    """

    def work():
        try:
            from . import inference
            from .motion import world as _world  # noqa: F401 - imported for its side effect

            # One tiny forward pass: the first call of a network pays one-off kernel set-up.
            dummy = np.zeros((8, NUM_JOINTS, 3), np.float32)
            with single_thread_torch():
                inference.lift(dummy, 640, 360, model=settings.model, device=settings.device)
        except Exception:  # the lift stage reports the same problem properly
            pass

    thread = threading.Thread(target=work, name="lift-warm-up", daemon=True)
    thread.start()
    _warm_ups.append(thread)
    return thread


_warm_ups: list[threading.Thread] = []


def finish_warm_ups() -> None:
    """Wait for warm-up threads still running (e.g. after a video failed early).

    Call before the interpreter exits: a daemon thread killed inside torch at exit aborts the
    process, which would turn a clean exit code into a crash.
    """
    while _warm_ups:
        _warm_ups.pop().join()


def run_pipeline(
    settings: PipelineSettings,
    report: Callable[[str, float], None] | None = None,
    cancel=None,
) -> PipelineResult:
    """Run detect → lift → world; ``report(stage, overall_fraction)`` as it goes.

    ``cancel`` is a ``threading.Event``-like token; when set, the running stage raises
    :class:`~lifting.errors.Cancelled` at its next check. Raises the stages' LiftErrors.
    """
    report = report or (lambda stage, fraction: None)
    if settings.end is not None and settings.end <= settings.start:
        raise EmptyVideoError(
            f"The frame range {settings.start}-{settings.end} is empty: choose an end frame "
            "after the start frame."
        )
    from .motion.world import check_settings

    check_settings(
        focal_px=settings.focal_px,
        camera_height=settings.camera_height,
        tilt=settings.tilt,
        strength=settings.strength,
        subject_height=settings.subject_height,
        foot_lock=settings.foot_lock,
    )
    adapting = settings.adapt_minutes > 0
    if adapting:
        from .adapt import require_torch

        require_torch()  # before detection: say at once that this installation cannot adapt
    slices = {name: (a, b) for name, a, b in (ADAPT_STAGES if adapting else STAGES)}
    timings: dict[str, float] = {}
    cached: list[str] = []
    video_key = (
        video_identity(settings.video),
        settings.start,
        settings.end,
        settings.stride,
    )
    adapt_key = (
        video_key,
        settings.model,
        settings.adapt_minutes,
        settings.focal_px,
        settings.focal_35mm,
    )
    pose_key = (video_key, settings.model, settings.device) + (adapt_key if adapting else ())

    def timed(name, key, memo, fn):
        progress = stage_progress(report, name, *slices[name])
        progress(0.0)
        check_cancel(cancel)
        t0 = time.perf_counter()
        value = memo.get(key) if memo is not None else None
        if value is None:
            value = fn(progress)
            if memo is not None:
                memo.put(key, value)
        else:
            cached.append(name)
        timings[name] = time.perf_counter() - t0
        progress(1.0)
        return value

    warming: list[threading.Thread] = []

    def detect_and_warm_up(progress):
        if _poses.get(pose_key) is None:
            from .video import probe

            probe(settings.video)  # an unreadable video fails here, before any warm-up starts
            warming.append(warm_up(settings))
        return detect(settings, progress, cancel)

    track = timed("detect", video_key, _tracks, detect_and_warm_up)
    if warming:  # time the lift itself, not the rest of the warm-up
        t0 = time.perf_counter()
        while warming[0].is_alive():
            check_cancel(cancel)
            warming[0].join(0.1)
        timings["warm_up_wait"] = time.perf_counter() - t0
    if adapting:
        adapted = timed("adapt", adapt_key, _adapted, lambda p: adapt(settings, track, p, cancel))
        pose = timed("lift", pose_key, _poses, lambda p: lift_adapted(adapted, track, p, cancel))
    else:
        pose = timed("lift", pose_key, _poses, lambda p: lift(settings, track, p, cancel))
    motion = timed("world", None, None, lambda p: world(settings, track, pose, p, cancel))
    check_cancel(cancel)
    return PipelineResult(track, pose, motion, timings, tuple(cached))
