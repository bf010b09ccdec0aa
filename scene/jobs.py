# SPDX-License-Identifier: GPL-3.0-or-later
"""Background jobs: the pipeline on a worker thread, drained and applied on the main thread.

The worker only computes on plain data (``lifting.pipeline.run_pipeline``) and posts messages
to a queue; it never touches ``bpy``. The main thread calls :meth:`LiftJob.step` (from a modal
operator's timer, or a loop in the blocking paths): it drains the queue, updates the progress
shown in the sidebar and status bar, and applies the finished result exactly once. Cancelling
takes effect at the next step: the worker's result, if it ever arrives, is dropped, so the
scene stays exactly as it was.
"""

import queue
import threading
import time
import traceback

from ..lifting.errors import Cancelled, LiftError
from ..lifting.pipeline import STAGE_LABELS, run_pipeline
from .apply import apply_result

RUNNING, FINISHED, FAILED, CANCELLED = "RUNNING", "FINISHED", "FAILED", "CANCELLED"

_current = None  # the job the sidebar shows (one at a time)


STALE_SECONDS = 2.0  # a running job nobody stepped for this long has lost its operator


def current():
    """The job the sidebar shows, or None."""
    return _current


def running():
    """The job that is running and still driven by its operator, or None.

    Blender drops modal operators when another file is loaded; their job would otherwise look
    busy forever and block the Lift Video button. The next job started cancels it.
    """
    job = _current
    if job is None or job.state != RUNNING:
        return None
    return None if time.monotonic() - job.last_step > STALE_SECONDS else job


class LiftJob:
    """One run of the pipeline and the application of its result.

    Attributes read by the UI: ``state``, ``stage`` (label), ``fraction`` (0..1), ``error``
    (message), ``created`` (dict from ``apply_result``), ``result`` (PipelineResult).
    """

    def __init__(self, settings, apply_settings):
        self.settings = settings
        self.apply_settings = apply_settings
        self._queue: queue.Queue = queue.Queue()
        self._cancel = threading.Event()
        self._thread = None
        self.state = RUNNING
        self.stage = "Starting"
        self.fraction = 0.0
        self.error = ""
        self.result = None
        self.created = None
        self.apply_seconds = 0.0
        self.last_step = time.monotonic()

    # worker side ----------------------------------------------------------------------
    def start(self) -> "LiftJob":
        global _current  # noqa: PLW0603 - the sidebar shows the latest job
        if _current is not None and _current is not self:
            _current.cancel()  # a job whose operator is gone (see running())
        _current = self
        self._thread = threading.Thread(target=self._work, name="lift-pipeline", daemon=True)
        self._thread.start()
        return self

    def _work(self) -> None:
        try:
            result = run_pipeline(self.settings, self._report, self._cancel)
        except Cancelled:
            self._queue.put(("cancelled", None))
        except LiftError as err:
            self._queue.put(("error", str(err)))
        except Exception as err:  # a bug: report it rather than die silently in a thread
            traceback.print_exc()
            self._queue.put(("error", f"Lift failed unexpectedly: {type(err).__name__}: {err}"))
        else:
            self._queue.put(("done", result))

    def _report(self, stage: str, fraction: float) -> None:
        self._queue.put(("progress", (stage, fraction)))

    # main-thread side -----------------------------------------------------------------
    def cancel(self) -> None:
        """Stop now: the scene is left as it was; the worker stops at its next check."""
        self._cancel.set()
        if self.state == RUNNING:
            self.state = CANCELLED
            self.stage = "Cancelled"

    def step(self, context) -> str:
        """Drain the worker's messages; apply a finished result once. Returns ``state``."""
        self.last_step = time.monotonic()
        while self.state == RUNNING:
            try:
                kind, payload = self._queue.get_nowait()
            except queue.Empty:
                break
            if kind == "progress":
                stage, self.fraction = payload
                self.stage = STAGE_LABELS.get(stage, stage)
            elif kind == "done":
                self._apply(context, payload)
            elif kind == "cancelled":
                self.state, self.stage = CANCELLED, "Cancelled"
            else:
                self.state, self.error, self.stage = FAILED, payload, "Failed"
        return self.state

    def _apply(self, context, result) -> None:
        self.stage, self.fraction = "Building the armature", 1.0
        t0 = time.perf_counter()
        try:
            self.created = apply_result(context, result, self.apply_settings)
        except LiftError as err:
            self.state, self.error, self.stage = FAILED, str(err), "Failed"
            return
        self.apply_seconds = time.perf_counter() - t0
        self.result = result
        self.state, self.stage = FINISHED, "Done"

    def wait(self, context, poll: float = 0.02, timeout: float | None = None) -> str:
        """Step until the job ends (the blocking path: ``execute`` and the headless batch)."""
        t0 = time.perf_counter()
        while self.step(context) == RUNNING:
            if timeout is not None and time.perf_counter() - t0 > timeout:
                self.cancel()
                break
            time.sleep(poll)
        return self.state

    @property
    def status_text(self) -> str:
        return f"Lift: {self.stage} {round(100 * self.fraction)}% (Esc to cancel)"
