"""Keypoint extraction split over worker processes, merged without seams.

MediaPipe's tracker keeps about one core busy (1.06 cores measured), so a long video is split
into consecutive frame ranges, one per process. The calling process is worker 0: it starts on
the first frame at once while the other workers (``spawn`` start method: safe with threads and
inside Blender) import MediaPipe and build their tracker (about 0.3 CPU-s; worker_entry.py
defers the imports they never use). Once they are all ready, the frames that remain are divided
so that every party finishes at about the same time, and each worker k gets ``[a_k, b_k)``. It
decodes up to ``a_k`` without running the model (``grab`` only: exact indices and timestamps
for any file), runs the tracker on ``WARMUP_FRAMES`` frames before ``a_k`` to lock on, and
keeps rows from ``a_k`` on. Rows of the warm-up frames come from the previous party, which
tracked through them continuously: every frame has exactly one source and the tracker state at
``a_k`` is the one a single process would have had, up to MediaPipe's landmark smoothing, whose
memory fades within the warm-up.

Cancellation: the user's token is checked before every frame; workers watch a
``multiprocessing`` Event set from it. Workers still running ``CANCEL_GRACE_S`` after it are
terminated (then killed), so every process is gone within a second.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import runpy
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .. import errors
from ..progress import CancelToken, ProgressFn, check_cancel, no_progress
from ..video import open_video
from .balance import FrameCosts, shares
from .extract import (
    DetectorSettings,
    FrameRows,
    concat_rows,
    detect_frames,
    make_pose,
    track_frame,
)

# Tracker frames each worker runs before its range, ~11 CPU-ms each. On the sample clip played
# twice, a worker's first 60 rows agree with a single process to 0.04 px median, p95 0.35 px
# with 15 (0.03 / 0.18 px with 30), against the detector's own 3.5 px error
# (`python -m bench.keypoints --seam`, docs/benchmarks.md ## Keypoints).
WARMUP_FRAMES = 15
MIN_FRAMES_PER_WORKER = 60  # below this a worker costs more than it saves (start + warm-up)
# Shorter plans run in one process: a worker needs ~0.5 s to start, so on a short clip it would
# join too late to get a share, or save less than it costs.
SPAWN_MIN_FRAMES = 240
CANCEL_GRACE_S = 0.5
PROGRESS_EVERY = 5  # worker frames per progress message
_POLL_S = 0.05
_ENTRY = Path(__file__).with_name("worker_entry.py")
_LIFTING_DIR = Path(__file__).resolve().parents[1]
WORKER_RUN_NAME = "lift_keypoints_worker"
# DEBUG records: each worker's CPU time by phase (bench/keypoints.py collects them)
LOG = logging.getLogger(__name__)


def default_workers() -> int:
    """The number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Plan:
    """The frames to process: ``start, start + stride, ...`` below ``stop`` (None: unknown)."""

    video: str
    start: int
    stop: int | None
    stride: int
    image_fps: float
    settings: DetectorSettings

    def count(self, first: int) -> int | None:
        """Frames of the plan from frame index ``first`` on (None if the end is unknown)."""
        return None if self.stop is None else len(range(first, self.stop, self.stride))

    def to_dict(self) -> dict:
        """Plain data (a worker process may not know this module by the same name)."""
        return {**asdict(self), "settings": self.settings.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        return cls(**{**data, "settings": DetectorSettings(**data["settings"])})


@dataclass
class _Pool:
    """Worker processes and their queues (party 0, this process, is not in here)."""

    procs: list = field(default_factory=list)
    orders: list = field(default_factory=list)
    messages: object = None
    stop: object = None
    ready: set = field(default_factory=set)
    unavailable: set = field(default_factory=set)  # workers that could not start
    done: dict = field(default_factory=dict)  # wid -> (arrays, failed)
    counts: dict = field(default_factory=dict)  # wid -> rows so far
    ranges: dict = field(default_factory=dict)  # wid -> (warm, a, b)
    cpu: dict = field(default_factory=dict)  # wid -> worker CPU-s at ready, first row, end
    arrived: dict = field(default_factory=dict)  # wid -> time.monotonic() of its rows
    own_done: float = 0.0  # time.monotonic() when this process had tracked its share


def run(
    plan: Plan,
    workers: int = 1,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[dict[str, np.ndarray], list[int]]:
    """Process ``plan`` with ``workers`` processes (this one included).

    Returns (rows as :meth:`FrameRows.arrays`, sorted failed frame indices).
    """
    total = plan.count(plan.start)
    if workers <= 1 or total is None or total < SPAWN_MIN_FRAMES:
        return _run_alone(plan, progress, cancel)
    pool = _start_pool(plan, workers - 1)
    try:
        return _run_parallel(plan, pool, total, progress, cancel)
    finally:
        _shutdown(pool)  # after results: workers only have their exit left, skip the wait


def _run_alone(plan: Plan, progress: ProgressFn, cancel) -> tuple[dict, list[int]]:
    total = plan.count(plan.start)
    report = (lambda n: progress(n / total)) if total else None
    return run_range(plan, plan.start, plan.start, plan.stop, on_frame=report, cancel=cancel)


def run_range(
    plan: Plan, warm: int, keep_from: int, end: int | None, *, on_frame=None, cancel=None, pose=None
) -> tuple[dict, list[int]]:
    """Track frames ``warm..end`` of ``plan``'s grid; keep rows and failures from ``keep_from``.

    Uses ``pose`` (a fresh tracker, left open for its owner) if given, else makes one.
    """
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(open_video(plan.video, image_fps=plan.image_fps))
        pose = pose or stack.enter_context(make_pose(plan.settings))
        frames = source.frames(warm, end, plan.stride)
        rows = detect_frames(frames, pose, keep_from=keep_from, on_frame=on_frame, cancel=cancel)
        return rows.arrays(), sorted(i for i in source.failed if i >= keep_from)


def worker_main(wid, plan, orders, messages, stop) -> None:
    """Body of worker process ``wid``: get ready, wait for a range, track it, send rows.

    ``plan`` is :meth:`Plan.to_dict` data; everything sent back is plain data too. A worker
    that cannot start says so and leaves its share to the others.
    """
    try:
        plan = Plan.from_dict(plan)
        pose = make_pose(plan.settings)  # imports MediaPipe, builds the graph
    except Exception as err:
        messages.put(("unavailable", wid, f"{type(err).__name__}: {err}"))
        return
    try:
        messages.put(("ready", wid, time.process_time()))
        order = None
        while order is None and not stop.is_set():
            with contextlib.suppress(queue.Empty):
                order = orders.get(timeout=_POLL_S)
        if order is None or order == "quit":
            pose.close()
            return

        first_row_cpu = []

        def report(n: int) -> None:
            if n == 1:
                first_row_cpu.append(time.process_time())
            if n % PROGRESS_EVERY == 0:
                messages.put(("progress", wid, n))

        arrays, failed = run_range(plan, *order, on_frame=report, cancel=stop, pose=pose)
        cpu = (*first_row_cpu[:1], time.process_time())
        messages.put(("result", wid, arrays, failed, cpu))
        pose.close()
    except errors.Cancelled:
        messages.put(("cancelled", wid))
    except BaseException as err:  # report everything: the parent raises it
        messages.put(("error", wid, type(err).__name__, str(err)))


def _start_pool(plan: Plan, n: int) -> _Pool:
    ctx = multiprocessing.get_context("spawn")
    pool = _Pool(messages=ctx.Queue(), stop=ctx.Event())
    for wid in range(1, n + 1):
        orders = ctx.Queue()
        args = (wid, plan.to_dict(), orders, pool.messages, pool.stop)
        proc = ctx.Process(
            target=runpy.run_path,  # see worker_entry.py: why not target=worker_main
            args=(str(_ENTRY),),
            kwargs={
                "init_globals": {"LIFTING_DIR": str(_LIFTING_DIR), "WORKER_ARGS": args},
                "run_name": WORKER_RUN_NAME,
            },
            name=f"lift-keypoints-{wid}",
            daemon=True,
        )
        proc.start()
        pool.procs.append(proc)
        pool.orders.append(orders)
    return pool


def _run_parallel(plan, pool: _Pool, total, progress, cancel) -> tuple[dict, list[int]]:
    own_end, assigned = plan.stop, False
    rows, costs = FrameRows(), FrameCosts()
    with (
        open_video(plan.video, image_fps=plan.image_fps) as source,
        make_pose(plan.settings) as pose,
    ):
        for frame in costs.timed(source.frames(plan.start, plan.stop, plan.stride)):
            _drain(pool, block=False)
            if not assigned and _all_ready(pool):
                seeks = source.info.kind == "images"  # image files are read, not decoded up to
                own_end, assigned = _assign(plan, pool, frame.index, costs, seeks), True
            if own_end is not None and frame.index >= own_end:
                break
            check_cancel(cancel)
            result = track_frame(pose, frame)
            rows.add(frame, result, frame.image.shape[1], frame.image.shape[0])
            progress(min((len(rows) + sum(pool.counts.values())) / total, 1.0))
        failed = [i for i in source.failed if own_end is None or i < own_end]
    pool.own_done = time.monotonic()
    if not assigned:
        _send_quit(pool)
    parts = [rows.arrays()]
    for wid in sorted(pool.ranges):
        arrays, worker_failed = _wait_result(
            plan, pool, wid, total=total, kept=len(rows), progress=progress, cancel=cancel
        )
        parts.append(arrays)
        failed += worker_failed
    _log_worker_cpu(pool)
    return concat_rows(parts), sorted(failed)


def _log_worker_cpu(pool: _Pool) -> None:
    """A DEBUG record per worker with its CPU seconds by phase (``record.worker_cpu``)."""
    for wid, (warm, first, end) in sorted(pool.ranges.items()):
        cpu = pool.cpu.get(wid, ())
        if len(cpu) != 3:  # no kept rows, or redone here
            continue
        phases = {
            "start": cpu[0],  # interpreter, imports, graph
            "to_first_row": cpu[1] - cpu[0],  # decode up to `warm`, warm-up, model load, 1 row
            "other_rows": cpu[2] - cpu[1],
            "warm": warm,
            "first": first,
            "end": end,
            "rows": pool.counts.get(wid, 0),
            # s from this process's last row to the worker's rows (< 0: the worker was first)
            "finish_gap_s": pool.arrived.get(wid, pool.own_done) - pool.own_done,
        }
        LOG.debug(
            "worker %d: start %.3f CPU-s, to its first row %.3f (warm-up frames %d-%d), "
            "%d other rows %.3f; rows %+.2f s after ours",
            *(wid, phases["start"], phases["to_first_row"], warm, first),
            *(phases["rows"] - 1, phases["other_rows"], phases["finish_gap_s"]),
            extra={"worker_cpu": phases},
        )


def _all_ready(pool: _Pool) -> bool:
    alive = {wid for wid, p in enumerate(pool.procs, 1) if p.is_alive()}
    return bool(pool.ready) and alive - pool.unavailable <= pool.ready


def _assign(plan: Plan, pool: _Pool, here: int, costs: FrameCosts, seeks=False) -> int | None:
    """Split the plan's frames from ``here`` on among this process and the ready workers.

    Every party should finish at the same time (:mod:`.balance`). ``seeks``: a worker reads
    its first frame directly (image folders) instead of decoding every frame before it.
    Returns this process's end frame (None if it keeps everything).
    """
    remaining = plan.count(here)
    wids = sorted(pool.ready)
    parties = len(wids) + 1
    extra = [  # frames each worker does before its first row (its range starts ~k/parties in)
        WARMUP_FRAMES
        + costs.extra_frames(
            0 if seeks else here + k * remaining // parties * plan.stride, plan.stride
        )
        for k in range(1, parties)
    ]
    own, rows = shares(remaining, extra)
    if min(rows) < MIN_FRAMES_PER_WORKER:  # a worker would start too late to help
        _send_quit(pool)
        return None
    bound = here + own * plan.stride
    for wid, count in zip(wids, rows, strict=True):
        end = plan.stop if wid == wids[-1] else bound + count * plan.stride
        warm = max(plan.start, bound - WARMUP_FRAMES * plan.stride)
        pool.ranges[wid] = (warm, bound, end)
        pool.orders[wid - 1].put((warm, bound, end))
        bound = end
    _send_quit(pool)  # workers that were not ready get nothing
    return here + own * plan.stride


def _send_quit(pool: _Pool) -> None:
    for wid, orders in enumerate(pool.orders, 1):
        if wid not in pool.ranges:
            orders.put("quit")


def _drain(pool: _Pool, block: bool) -> None:
    """Handle every queued worker message (waiting up to _POLL_S for one if ``block``)."""
    while True:
        try:
            message = pool.messages.get(timeout=_POLL_S) if block else pool.messages.get_nowait()
        except queue.Empty:
            return
        block = False
        kind, wid = message[0], message[1]
        if kind == "ready":
            pool.ready.add(wid)
            pool.cpu[wid] = (message[2],)
        elif kind == "unavailable":
            pool.unavailable.add(wid)
        elif kind == "progress":
            pool.counts[wid] = message[2]
        elif kind == "result":
            pool.done[wid] = (message[2], message[3])
            pool.arrived[wid] = time.monotonic()
            pool.cpu[wid] += message[4]
            pool.counts[wid] = len(message[2]["frame_indices"])
        elif kind == "error":
            raise _rebuild_error(message[2], message[3])


def _rebuild_error(name: str, text: str) -> Exception:
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, errors.LiftError):
        return cls(text)
    return RuntimeError(f"a keypoint worker failed: {name}: {text}")


def _wait_result(plan, pool: _Pool, wid, *, total, kept, progress, cancel) -> tuple[dict, list]:
    """Rows of worker ``wid``; redone here if the worker died without sending them."""
    proc = pool.procs[wid - 1]
    while wid not in pool.done:
        check_cancel(cancel)
        _drain(pool, block=True)
        progress(min((kept + sum(pool.counts.values())) / total, 1.0))
        if wid not in pool.done and not proc.is_alive():
            _drain(pool, block=True)  # a result may still be in the pipe
            if wid not in pool.done:
                pool.done[wid] = run_range(plan, *pool.ranges[wid], cancel=cancel)
    return pool.done[wid]


def _shutdown(pool: _Pool) -> None:
    """Stop every worker: ask, wait CANCEL_GRACE_S, terminate, kill. Leaves no process.

    Workers whose rows have arrived (or that got no range) are not waited for: all they have
    left is tearing down MediaPipe and the interpreter, which can take half a second.
    """
    pool.stop.set()
    finished = set(pool.done) | {w for w in range(1, len(pool.procs) + 1) if w not in pool.ranges}
    for wid, proc in enumerate(pool.procs, 1):
        if wid in finished and proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + CANCEL_GRACE_S
    for proc in pool.procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in pool.procs:
        if proc.is_alive():
            proc.terminate()
    for proc in pool.procs:
        proc.join(0.2)
        if proc.is_alive():
            proc.kill()
            proc.join()
    for q in [*pool.orders, pool.messages]:
        q.cancel_join_thread()
        q.close()
