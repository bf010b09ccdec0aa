"""Progress reporting and cancellation shared by every pipeline stage.

A stage takes ``progress: ProgressFn`` and ``cancel: CancelToken | None``. It calls
``progress(fraction)`` with fraction in [0, 1] as it goes and ``check_cancel(cancel)`` often
enough that cancelling takes effect within a second. :func:`stage_progress` maps a stage's own
0..1 onto its slice of the whole pipeline and attaches the stage name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .errors import Cancelled

ProgressFn = Callable[[float], None]


class CancelToken(Protocol):
    """Anything with ``is_set()``: ``threading.Event`` or ``multiprocessing.Event``."""

    def is_set(self) -> bool: ...


def no_progress(fraction: float) -> None:
    """A progress callback that ignores its argument."""


def check_cancel(cancel: CancelToken | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def stage_progress(
    report: Callable[[str, float], None], stage: str, start: float, end: float
) -> ProgressFn:
    """Return ``progress(f)`` that calls ``report(stage, start + f * (end - start))``.

    ``f`` is clamped to [0, 1] so a stage cannot move the overall bar backwards or past its end.
    """

    def progress(fraction: float) -> None:
        f = min(max(float(fraction), 0.0), 1.0)
        report(stage, start + f * (end - start))

    return progress
