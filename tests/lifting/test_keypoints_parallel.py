"""Parallel extraction: seamless merge, progress, cancellation without stray processes."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time

import numpy as np
import pytest
from keypoint_media import handoff_row, person_frames, write_video

from lifting.errors import Cancelled
from lifting.keypoints import extract_keypoints, parallel


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    """12 s of the drifting portrait at 30 fps, small frames (MediaPipe resizes anyway)."""
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    return write_video(path, person_frames(360, size=(320, 240)))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_two_workers_merge_into_one_seamless_track(long_video, monkeypatch, caplog):
    # split even if a loaded machine makes the worker late to start
    monkeypatch.setattr(parallel, "MIN_FRAMES_PER_WORKER", 20)
    caplog.set_level(logging.DEBUG, logger=parallel.LOG.name)
    one = extract_keypoints(long_video, workers=1)
    seen = []
    two = extract_keypoints(long_video, workers=2, progress=seen.append)
    assert multiprocessing.active_children() == []
    np.testing.assert_array_equal(two.frame_indices, one.frame_indices)
    np.testing.assert_allclose(two.timestamps, one.timestamps)
    assert two.detected.all() and len(two) == 360
    assert seen == sorted(seen) and seen[-1] == 1.0
    handoff = handoff_row(one.keypoints, two.keypoints)
    assert handoff is not None, "the second worker's rows should come from another tracker"
    assert 20 < handoff < 340  # a real split, with this process's share first
    # rows before the handoff are this process's own, identical to a single process
    same = (two.keypoints[:handoff] == one.keypoints[:handoff]).all(axis=(1, 2))
    assert same.mean() >= 0.99  # see handoff_row for the 1 %
    # after it, the worker tracks the same person: the face agrees to a few pixels
    face = [0, 2, 5, 7, 8]
    error = np.linalg.norm(
        two.keypoints[handoff:, face, :2] - one.keypoints[handoff:, face, :2], axis=-1
    )
    assert np.median(error) < 8
    # the worker's CPU by phase is logged for bench/keypoints.py
    (phases,) = [r.worker_cpu for r in caplog.records if hasattr(r, "worker_cpu")]
    assert phases["first"] == two.frame_indices[handoff] and phases["rows"] == 360 - handoff
    assert phases["warm"] == phases["first"] - parallel.WARMUP_FRAMES
    assert all(phases[k] > 0 for k in ("start", "to_first_row", "other_rows"))


def run_and_cancel(video, cancel_when) -> tuple[float, list[int], BaseException | None]:
    """Start a 2-worker extraction in a thread, cancel once ``cancel_when(progress)``.

    Returns (seconds from cancel to the call returning, pids of its workers, its exception).
    """
    cancel = threading.Event()
    outcome: dict = {}
    pids: set[int] = set()

    def progress(fraction: float) -> None:
        pids.update(p.pid for p in multiprocessing.active_children())
        if cancel_when(fraction, pids):
            outcome.setdefault("cancelled_at", time.monotonic())
            cancel.set()

    def work() -> None:
        try:
            extract_keypoints(video, workers=2, progress=progress, cancel=cancel)
        except BaseException as err:
            outcome["error"] = err
        outcome["returned_at"] = time.monotonic()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    return outcome["returned_at"] - outcome["cancelled_at"], sorted(pids), outcome.get("error")


@pytest.mark.parametrize("phase", ["while workers start", "while workers track"])
def test_cancel_stops_every_worker_within_a_second(long_video, phase):
    if phase == "while workers start":
        when = lambda fraction, pids: bool(pids)  # noqa: E731 - workers exist, not ready yet
    else:
        when = lambda fraction, pids: fraction > 0.5  # noqa: E731 - all parties are tracking
    seconds, pids, error = run_and_cancel(long_video, when)
    assert isinstance(error, Cancelled)
    assert pids, "the extraction should have started worker processes"
    assert seconds < parallel.CANCEL_GRACE_S + 0.5 <= 1.0
    assert multiprocessing.active_children() == []
    assert not any(pid_alive(pid) for pid in pids)


def test_short_videos_stay_in_one_process(tmp_path):
    video = write_video(tmp_path / "short.mp4", person_frames(20, size=(320, 240)))
    seen: set[int] = set()
    track = extract_keypoints(
        video, workers=2, progress=lambda f: seen.update(multiprocessing.active_children())
    )
    assert len(track) == 20 and not seen


def test_default_workers_is_the_core_count():
    assert parallel.default_workers() == len(os.sched_getaffinity(0))


NESTED = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location(
    "outer", sys.argv[1] + "/outer/__init__.py", submodule_search_locations=[sys.argv[1] + "/outer"]
)
outer = importlib.util.module_from_spec(spec)
sys.modules["outer"] = outer
spec.loader.exec_module(outer)
from outer.lifting.keypoints import extract_keypoints
import numpy as np
if __name__ == "__main__":
    one = extract_keypoints(sys.argv[2], workers=1)
    two = extract_keypoints(sys.argv[2], workers=2)
    assert (one.frame_indices == two.frame_indices).all()
    print("rows from the worker:", int((one.keypoints != two.keypoints).any(axis=(1, 2)).sum()))
"""


@pytest.mark.slow
def test_workers_start_when_lifting_is_nested_in_an_unimportable_package(tmp_path, long_video):
    """As inside Blender (bl_ext.<repo>.lift_mocap.lifting): a new process cannot import the
    outer package, yet the workers run."""
    import subprocess
    import sys
    from pathlib import Path

    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / "__init__.py").write_text("")
    (outer / "lifting").symlink_to(Path(__file__).resolve().parents[2] / "lifting")
    script = tmp_path / "nested.py"
    script.write_text(NESTED)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(long_video)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = int(done.stdout.split("rows from the worker:")[1])
    assert rows > 50
