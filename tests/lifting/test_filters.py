"""Smoothing filters on synthetic signals: cut-off behaviour, phase, strength mapping."""

import numpy as np
import pytest

from lifting.errors import MotionSettingsError
from lifting.motion import filters

FPS = 30.0


def sine(freq, seconds=6.0, amp=1.0):
    t = np.arange(int(seconds * FPS)) / FPS
    return amp * np.sin(2 * np.pi * freq * t)


def lag_frames(x, y):
    """Lag (frames) of y behind x maximising their cross-correlation (middle of the clip)."""
    mid = slice(len(x) // 4, 3 * len(x) // 4)
    lags = range(-8, 9)
    scores = [np.dot(x[mid], np.roll(y, -k)[mid]) for k in lags]
    return list(lags)[int(np.argmax(scores))]


def gain(x, y):
    mid = slice(len(x) // 4, 3 * len(x) // 4)
    return np.std(y[mid]) / np.std(x[mid])


@pytest.mark.parametrize("name", ["butterworth", "savgol"])
def test_zero_phase_filters_pass_slow_motion_without_lag(name):
    x = sine(1.0)
    y = filters.smooth(x, FPS, name, strength=0.5)  # cut-off ≈ 3.5 Hz
    assert lag_frames(x, y) == 0
    assert gain(x, y) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("name", ["butterworth", "savgol", "one_euro"])
def test_filters_remove_fast_oscillation(name):
    x = sine(10.0, amp=0.01)  # 1 cm at 10 Hz: jitter, well above the ~3.5 Hz cut-off
    y = filters.smooth(x, FPS, name, strength=0.5)
    assert gain(x, y) < 0.35


def test_butterworth_cutoff_is_the_minus_3_db_point():
    fc = filters.cutoff_hz(0.5)
    below, above = sine(fc * 0.5), sine(fc * 2.0)
    # filtfilt squares the magnitude: |H(fc)|² = 0.5, so half the cut-off passes, twice is cut.
    assert gain(below, filters.butterworth(below, FPS, fc)) > 0.9
    assert gain(above, filters.butterworth(above, FPS, fc)) < 0.1
    at = sine(fc)
    assert gain(at, filters.butterworth(at, FPS, fc)) == pytest.approx(0.5, abs=0.06)


def test_savgol_window_matches_requested_cutoff():
    for fc in (1.0, 3.0, 6.0):
        w = filters.savgol_window(FPS, fc)
        assert w % 2 == 1
        at = sine(fc, seconds=12.0)
        assert gain(at, filters.savgol(at, FPS, fc)) == pytest.approx(np.sqrt(0.5), abs=0.15)


def test_one_euro_reduces_jitter_on_a_noisy_constant():
    rng = np.random.default_rng(0)
    x = 1.0 + rng.normal(0, 0.01, (300, 3))
    y = filters.one_euro(x, FPS, min_cutoff=1.0)
    assert np.std(y[30:-30]) < np.std(x) / 3


def test_one_euro_follows_a_ramp_and_zero_phase_removes_its_lag():
    t = np.arange(300) / FPS
    x = np.stack([t * 1.5, np.zeros_like(t), np.zeros_like(t)], axis=1)  # 1.5 m/s walk
    causal = filters.one_euro(x, FPS, min_cutoff=1.0, zero_phase=False)
    both = filters.one_euro(x, FPS, min_cutoff=1.0)
    mid = slice(60, 240)
    lag = np.abs(causal[mid, 0] - x[mid, 0]).mean()
    assert 0.0 < lag < 0.15  # the causal filter trails, but follows
    assert np.abs(both[mid, 0] - x[mid, 0]).max() < lag / 10


def test_one_euro_speed_coefficient_cuts_lag_in_fast_motion():
    x = sine(2.0, amp=0.5)[:, None]
    slow = filters.one_euro(x, FPS, min_cutoff=1.0, beta=0.0, zero_phase=False)
    fast = filters.one_euro(x, FPS, min_cutoff=1.0, beta=2.0, zero_phase=False)
    assert np.abs(fast - x).mean() < 0.7 * np.abs(slow - x).mean()


def test_strength_maps_monotonically_and_zero_is_identity():
    cut = [filters.cutoff_hz(s) for s in np.linspace(0.05, 1.0, 8)]
    assert np.all(np.diff(cut) < 0)
    assert filters.cutoff_hz(1.0) == pytest.approx(filters.CUTOFF_MIN_HZ)
    x = np.random.default_rng(1).normal(size=(50, 21, 3))
    for name in filters.FILTERS:
        np.testing.assert_array_equal(filters.smooth(x, FPS, name, 0.0), x)
        assert filters.smooth(x, FPS, name, 0.7).shape == x.shape


def test_stronger_smoothing_removes_more_jitter():
    x = np.random.default_rng(2).normal(0, 0.01, (200, 4, 3))
    for name in ("one_euro", "butterworth", "savgol"):
        weak, strong = (
            np.std(np.diff(filters.smooth(x, FPS, name, s), 2, axis=0)) for s in (0.2, 0.9)
        )
        assert strong < weak


def test_short_clips_and_other_frame_rates():
    x = np.random.default_rng(3).normal(size=(5, 21, 3))
    for name in ("one_euro", "butterworth", "savgol"):
        assert filters.smooth(x, 60.0, name, 0.5).shape == x.shape
    y = sine(1.0, seconds=4.0)
    t60 = np.arange(240) / 60.0
    y60 = np.sin(2 * np.pi * 1.0 * t60)
    # The same strength means the same cut-off in hertz whatever the frame rate.
    assert gain(y60, filters.smooth(y60, 60.0, "butterworth", 0.5)) == pytest.approx(
        gain(y, filters.smooth(y, FPS, "butterworth", 0.5)), abs=0.03
    )


@pytest.mark.parametrize(
    ("method", "strength", "fps"), [("kalman", 0.5, 30), ("savgol", 1.5, 30), ("savgol", 0.5, 0)]
)
def test_bad_settings_raise(method, strength, fps):
    with pytest.raises(MotionSettingsError):
        filters.smooth(np.zeros((10, 3)), fps, method, strength)


def test_one_euro_checks_for_cancel():
    import threading

    from lifting.errors import Cancelled

    event = threading.Event()
    event.set()
    x = np.zeros((5000, 2, 3))
    with pytest.raises(Cancelled):
        filters.smooth(x, FPS, "one_euro", 0.5, cancel=event)
    assert filters.smooth(x, FPS, "one_euro", 0.5, cancel=threading.Event()).shape == x.shape
