"""How to divide a plan's frames among parallel trackers so that they all finish together.

A worker's first row costs more than the calling process's next one: it decodes the video up to
its range (frames it does not track), loads MediaPipe's models on its first frame and warms up
its tracker. :class:`FrameCosts` measures the per-frame costs on the video being processed, in
the calling process, and :func:`shares` turns them into row counts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from ..video import Frame


class FrameCosts:
    """CPU time of this process per frame, split into decoding and the rest (tracking).

    ``clock``: seconds of CPU time (``time.process_time``: every thread of this process).
    """

    def __init__(self, clock=time.process_time) -> None:
        self.clock = clock
        self.frames = 0
        self.decode = 0.0  # CPU-s getting frames (grab, retrieve), all frames
        self.track = 0.0  # CPU-s for everything else, all frames but the first
        self.first = 0.0  # CPU-s of the first frame's tracking (MediaPipe loads its models)

    def timed(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        """Yield ``frames``; time spent getting each counts as decoding, the rest as tracking."""
        clock = self.clock
        iterator = iter(frames)
        while True:
            start = clock()
            frame = next(iterator, None)
            got = clock()
            if frame is None:
                return
            yield frame
            self.decode += got - start
            if self.frames == 0:
                self.first = clock() - got
            else:
                self.track += clock() - got
            self.frames += 1

    def extra_frames(self, skipped: int, stride: int) -> float:
        """A new tracker's work before its first row beyond tracking it, in frames of this
        process: loading the models, and decoding ``skipped`` video frames it does not track.
        0 until three frames are measured."""
        if self.frames < 3:
            return 0.0
        decode = self.decode / self.frames  # per plan frame: ``stride`` video frames
        track = self.track / (self.frames - 1)
        return (max(0.0, self.first - track) + skipped * decode / stride) / (decode + track)


def shares(remaining: int, extra: list[float]) -> tuple[int, list[int]]:
    """(this process's rows, each worker's rows) of ``remaining`` plan frames.

    ``extra[k]``: worker k's work before its first row, in frames (warm-up included). Every
    party ends after the same number of frames' work; the last worker takes what is left.
    """
    parties = len(extra) + 1
    own = -(-(remaining + round(sum(extra))) // parties)
    rows = [round(own - e) for e in extra[:-1]]
    return own, [*rows, remaining - own - sum(rows)]
