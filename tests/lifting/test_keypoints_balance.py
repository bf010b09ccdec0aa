"""Dividing frames among parallel trackers: measured costs and equal finishing times."""

from __future__ import annotations

import pytest

from lifting.keypoints.balance import FrameCosts, shares


class FakeClock:
    """A CPU clock the test advances by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_costs_split_decoding_from_tracking_and_price_a_late_start():
    clock = FakeClock()
    costs = FrameCosts(clock)

    def frames():
        for i in range(10):
            clock.now += 0.002  # decoding a frame: 2 ms
            yield i

    assert costs.extra_frames(100, 1) == 0.0  # nothing measured yet
    for i in costs.timed(frames()):
        clock.now += 0.030 if i == 0 else 0.006  # tracking: the first frame loads the models
    assert costs.frames == 10
    assert costs.decode == pytest.approx(0.020)
    assert costs.first == pytest.approx(0.030) and costs.track == pytest.approx(0.054)
    # a worker loads the models (24 ms more than a frame) and decodes 100 frames (2 ms each)
    # before its first row; a frame costs 8 ms here
    assert costs.extra_frames(100, 1) == pytest.approx((0.024 + 0.2) / 0.008)
    # with stride 2 each plan frame decoded two video frames: skipping one costs half
    assert costs.extra_frames(100, 2) == pytest.approx((0.024 + 0.1) / 0.008)


@pytest.mark.parametrize(
    ("remaining", "extra"), [(300, [15.0]), (900, [33.7]), (1000, [20.0, 31.5, 40.2])]
)
def test_shares_cover_every_frame_and_finish_together(remaining, extra):
    own, rows = shares(remaining, extra)
    assert own + sum(rows) == remaining and len(rows) == len(extra)
    for count, e in zip(rows, extra, strict=True):
        assert abs(own - (count + e)) <= len(extra)  # the same work, up to rounding
