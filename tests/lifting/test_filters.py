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


# --- lifting/motion/dsp.py: the NumPy routines equal SciPy's (scipy is a test dependency only,
# the extension zip ships without it) -------------------------------------------------------

TOL = 1e-9
LENGTHS = (1, 2, 3, 5, 17, 200)  # short clips included: the end handling differs most there


def signals(lengths=LENGTHS, channels=(4, 3), seed=0):
    rng = np.random.default_rng(seed)
    for n in lengths:
        yield rng.normal(size=(n, *channels)) + np.linspace(0, 3, n)[:, None, None]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("wn", [0.02, 0.1, 0.35, 0.9])
def test_butterworth_design_and_filtfilt_equal_scipy(order, wn):
    from scipy import signal

    from lifting.motion import dsp

    b, a = signal.butter(order, wn)
    got_b, got_a = dsp.butter_lowpass(order, wn)
    assert np.abs(got_b - b).max() <= TOL and np.abs(got_a - a).max() <= TOL
    for x in signals(LENGTHS[1:]):
        for padlen in sorted({0, 1, min(len(x) - 1, 3 * (order + 1)), len(x) - 1}):
            ref = signal.filtfilt(b, a, x, axis=0, padlen=padlen)
            got = dsp.filtfilt(b, a, x, padlen)
            assert got.shape == x.shape
            assert np.abs(got - ref).max() <= TOL * max(1.0, np.abs(ref).max())


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0, 240.0])
def test_butterworth_smoothing_equals_scipy_filtfilt(fps):
    from scipy import signal

    for x in signals((2, 3, 9, 400), seed=1):
        for cutoff in (1.0, 2.0, 12.0):
            b, a = signal.butter(2, min(cutoff / (fps / 2), 0.9))
            padlen = min(max(9, round(fps / cutoff)), len(x) - 1)
            ref = signal.filtfilt(b, a, x, axis=0, padlen=padlen)
            assert np.abs(filters.butterworth(x, fps, cutoff) - ref).max() <= TOL


def test_savgol_coefficients_and_response_equal_scipy():
    from scipy import signal

    from lifting.motion import dsp

    for window in (3, 5, 7, 11, 31, 101, 481):
        for polyorder in (0, 1, 2, 3):
            if polyorder >= window:
                continue
            taps = signal.savgol_coeffs(window, polyorder)
            assert np.abs(dsp.savgol_coeffs(window, polyorder) - taps).max() <= TOL
            freqs, response = signal.freqz(taps, worN=1024, fs=FPS)
            got_f, got_r = dsp.fir_response(taps, 1024, FPS)
            assert np.abs(got_f - freqs).max() <= TOL and np.abs(got_r - response).max() <= TOL


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_savgol_smoothing_equals_scipy(fps):
    from scipy import signal

    for cutoff in (1.0, 3.5, 12.0):
        window = filters.savgol_window(fps, cutoff)
        expected = scipy_savgol_window(fps, cutoff)
        assert window == expected
        for x in signals((4, 5, window, window + 1, 300), seed=2):
            w = min(window, len(x) if len(x) % 2 else len(x) - 1)
            ref = x if w <= 3 else signal.savgol_filter(x, w, 3, axis=0, mode="interp")
            assert np.abs(filters.savgol(x, fps, cutoff) - ref).max() <= TOL


def scipy_savgol_window(fps, cutoff, polyorder=3):
    """The window search of filters.savgol_window, written with SciPy's freqz/savgol_coeffs."""
    from scipy import signal

    first = (polyorder // 2) * 2 + 3
    best, best_err = first, np.inf
    for window in range(first, 4 * round(fps / cutoff) + first, 2):
        taps = signal.savgol_coeffs(window, polyorder)
        freqs, response = signal.freqz(taps, worN=1024, fs=fps)
        below = np.flatnonzero(np.abs(response) < np.sqrt(0.5))
        if below.size and abs(np.log(freqs[below[0]] / cutoff)) < best_err:
            best, best_err = window, abs(np.log(freqs[below[0]] / cutoff))
    return best


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 46, 181])
def test_running_min_equals_scipy_minimum_filter(size):
    from scipy import ndimage

    from lifting.motion import contacts, dsp

    for x in signals((1, 2, 5, 50, 500), channels=(4,), seed=3):
        ref = ndimage.minimum_filter1d(x, size, axis=0, mode="nearest")
        np.testing.assert_array_equal(dsp.running_min(x, size), ref)
    heights = np.abs(next(signals((300,), channels=(4,), seed=4)))
    window = 2 * round(contacts.FLOOR_WINDOW_S * FPS) + 1
    ref = ndimage.minimum_filter1d(heights, window, axis=0, mode="nearest")
    np.testing.assert_array_equal(contacts.local_floor(heights, FPS), ref)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0, 7.5, 20.0])
def test_gaussian_filter_equals_scipy(sigma):
    from scipy import ndimage

    from lifting.motion import dsp

    for x in signals((1, 2, 5, 50, 500), channels=(3, 2), seed=5):
        ref = ndimage.gaussian_filter1d(x, sigma, axis=0)
        assert np.abs(dsp.gaussian_filter1d(x, sigma) - ref).max() <= TOL


def test_dsp_rejects_what_it_cannot_compute():
    from lifting.motion import dsp

    with pytest.raises(ValueError):
        dsp.butter_lowpass(2, 1.0)
    with pytest.raises(ValueError):
        dsp.filtfilt(*dsp.butter_lowpass(2, 0.2), np.zeros((5, 2)), padlen=5)
    with pytest.raises(ValueError):
        dsp.savgol_coeffs(4, 2)
    with pytest.raises(ValueError):
        dsp.savgol_filter(np.zeros((5, 2)), 7, 2)
