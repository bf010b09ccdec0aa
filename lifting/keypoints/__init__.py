"""2D keypoints from video: MediaPipe BlazePose, mapped to the lift layout, cached, parallel.

``extract_keypoints(video)`` is the stage's entry point; modules: ``track`` (Track2D and its
file format), ``blazepose`` (BlazePose-33 → lift layout), ``extract`` (MediaPipe in one
process), ``parallel`` (split over worker processes, started by ``worker_entry``; ``balance``
sizes their shares), ``cache`` (on-disk cache), ``cli``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import EmptyVideoError, NoPersonFoundError, NotAVideoError
from ..progress import CancelToken, ProgressFn, no_progress
from ..video import VideoInfo, probe
from . import cache
from .blazepose import to_lift
from .extract import DetectorSettings, check_model_available
from .parallel import Plan, default_workers, run
from .track import Track2D

STAGE = "keypoints"  # the stage name shown beside the progress bar

__all__ = ["STAGE", "DetectorSettings", "Track2D", "extract_keypoints", "to_lift"]


def extract_keypoints(
    video: str | Path,
    *,
    start: int = 0,
    end: int | None = None,
    stride: int = 1,
    workers: int | None = None,
    cache_dir: str | Path | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    settings: DetectorSettings | None = None,
    image_fps: float = 30.0,
) -> Track2D:
    """2D keypoints of frames ``start, start + stride, ...`` below ``end`` of ``video``.

    video: a file OpenCV reads or a folder of numbered images (played at ``image_fps``).
    workers: processes to use (None: one per CPU core). cache_dir: where to cache tracks
    (None: no cache). progress(fraction) is called as frames complete; ``cancel.is_set()``
    stops the work within a second by raising Cancelled.

    Raises VideoNotFoundError, NotAVideoError, EmptyVideoError (also for an empty range),
    NoPersonFoundError, ModelNotFoundError (a model complexity other than 1), Cancelled.
    """
    settings = settings or DetectorSettings()
    check_model_available(settings.model_complexity)
    info = probe(video, image_fps=image_fps)
    plan = _plan(
        video, info, start=start, end=end, stride=stride, image_fps=image_fps, settings=settings
    )
    key = None
    if cache_dir is not None:
        key = cache.cache_key(video, _cache_settings(plan, info))
        cached = cache.load(cache_dir, key)
        if cached is not None:
            cached.source = str(video)
            progress(1.0)
            return cached
    workers = default_workers() if workers is None else max(1, int(workers))
    arrays, failed = run(plan, workers, progress, cancel)
    track = _make_track(arrays, failed, info, plan)
    if cache_dir is not None:
        cache.store(cache_dir, key, track)
    progress(1.0)
    return track


def _plan(video, info: VideoInfo, *, start, end, stride, image_fps, settings) -> Plan:
    if start < 0 or stride < 1 or (end is not None and end < start):
        raise ValueError(f"bad frame range: start={start} end={end} stride={stride}")
    stop = end
    if info.frame_count:
        stop = info.frame_count if end is None else min(end, info.frame_count)
        if start >= stop:
            raise EmptyVideoError(
                f"Frames {start}-{end} are outside '{info.path}', which has "
                f"{info.frame_count} frames (0-{info.frame_count - 1}). Choose a range inside it."
            )
    return Plan(str(video), start, stop, stride, image_fps, settings)


def _cache_settings(plan: Plan, info: VideoInfo) -> dict:
    return {
        "start": plan.start,
        "stop": plan.stop,
        "stride": plan.stride,
        "image_fps": plan.image_fps if info.kind == "images" else None,
        **plan.settings.to_dict(),
    }


def _make_track(arrays: dict, failed: list[int], info: VideoInfo, plan: Plan) -> Track2D:
    if len(arrays["frame_indices"]) == 0:
        if failed:
            raise NotAVideoError(
                f"None of the {len(failed)} frames of '{info.path}' could be decoded. "
                "Convert the video to MP4 (H.264) and try again."
            )
        raise EmptyVideoError(f"'{info.path}' has no frames in the chosen range.")
    keypoints = arrays["keypoints"]
    track = Track2D(
        lift2d=to_lift(keypoints, keypoints[..., 2]),
        fps=info.fps / plan.stride,
        width=info.width,
        height=info.height,
        source=str(plan.video),
        stride=plan.stride,
        failed_frames=failed,
        **arrays,
    )
    if not track.detected.any():
        raise NoPersonFoundError(
            f"MediaPipe found no person in any of the {len(track)} frames of '{info.path}'. "
            "Use a video where one person is fully visible, well lit and not too small."
        )
    return track
