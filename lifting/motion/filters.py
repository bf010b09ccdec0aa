"""Temporal smoothing of joint trajectories: One-Euro, zero-phase Butterworth, Savitzky–Golay.

All filters take ``x (T, ...)`` (any trailing shape, e.g. joints (T, J, 3) metres) sampled at
``fps`` and return the same shape. One ``strength`` in [0, 1] maps to each filter's parameters
through a common cut-off frequency (:func:`cutoff_hz`): 0 returns the input unchanged, 0.5 is
about 3.5 Hz, 1 is 1 Hz. Human movement keeps most of its energy below ~6 Hz; lifter jitter is
broadband, so a few hertz removes most of it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import MotionSettingsError
from ..progress import CancelToken, check_cancel
from . import dsp

FILTERS = ("one_euro", "butterworth", "savgol", "none")
CUTOFF_MAX_HZ = 12.0  # strength → 0
CUTOFF_MIN_HZ = 1.0  # strength = 1
ONE_EURO_BETA = 0.5  # Hz of extra cut-off per m/s of joint speed (One-Euro's speed coefficient)
CANCEL_EVERY = 2000  # frames between cancel checks in the One-Euro loop (~0.1 s)
ONE_EURO_D_CUTOFF = 1.0  # Hz, low-pass on the speed estimate (the One-Euro paper's default)


def cutoff_hz(strength: float) -> float:
    """Cut-off frequency (Hz) for ``strength`` in (0, 1]: log-linear 12 Hz → 1 Hz."""
    s = float(np.clip(strength, 0.0, 1.0))
    return float(
        np.exp(np.log(CUTOFF_MAX_HZ) + s * (np.log(CUTOFF_MIN_HZ) - np.log(CUTOFF_MAX_HZ)))
    )


def _alpha(cutoff: np.ndarray | float, fps: float) -> np.ndarray:
    """Exponential-smoothing factor of a first-order low-pass at ``cutoff`` Hz."""
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau * fps)


def _one_euro_pass(x: np.ndarray, fps: float, min_cutoff, beta, d_cutoff, *, cancel=None):
    """One causal One-Euro pass over x (T, N, D); the speed is the norm over D (a joint's
    speed, so the filter treats a joint the same whatever the axes)."""
    out = np.empty_like(x)
    out[0] = x[0]
    dx = np.zeros(x.shape[1:])
    a_d = _alpha(d_cutoff, fps)
    for t in range(1, len(x)):
        if t % CANCEL_EVERY == 0:
            check_cancel(cancel)
        dx = dx + a_d * ((x[t] - out[t - 1]) * fps - dx)
        speed = np.linalg.norm(dx, axis=-1, keepdims=True)
        a = _alpha(min_cutoff + beta * speed, fps)
        out[t] = out[t - 1] + a * (x[t] - out[t - 1])
    return out


def one_euro(
    x: np.ndarray,
    fps: float,
    min_cutoff: float,
    *,
    beta: float = ONE_EURO_BETA,
    d_cutoff: float = ONE_EURO_D_CUTOFF,
    zero_phase: bool = True,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """One-Euro filter (Casiez et al., CHI 2012) over x (T, ..., D), speeds in units/s.

    With ``zero_phase`` (offline use, the default) the causal filter runs forwards and then
    backwards over its own output, so the lags of the two passes cancel, as with filtfilt.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(len(x), -1, x.shape[-1]) if x.ndim > 1 else x.reshape(-1, 1, 1)
    y = _one_euro_pass(flat, fps, min_cutoff, beta, d_cutoff, cancel=cancel)
    if zero_phase:
        y = _one_euro_pass(y[::-1], fps, min_cutoff, beta, d_cutoff, cancel=cancel)[::-1]
    return y.reshape(x.shape)


def butterworth(x: np.ndarray, fps: float, cutoff: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass (forward-backward, :func:`dsp.filtfilt`) along axis 0
    of x (T, ...).

    The effective order doubles (forward + backward); cut-offs near Nyquist are clamped to
    0.9 × Nyquist. The clip is extended at each end by odd reflection (keeps the end slope).
    """
    x = np.asarray(x, dtype=np.float64)
    wn = min(cutoff / (fps / 2.0), 0.9)
    b, a = dsp.butter_lowpass(order, wn)
    # Pad by about one period of the cut-off (not scipy's 3 × order samples): the edge
    # transient of a low cut-off lasts that long, and a short pad leaves it in the clip.
    padlen = min(max(3 * max(len(a), len(b)), round(fps / cutoff)), len(x) - 1)
    if padlen < 1:
        return x.copy()
    return dsp.filtfilt(b, a, x, padlen)


@lru_cache(maxsize=256)
def savgol_window(fps: float, cutoff: float, polyorder: int = 3) -> int:
    """Odd window length (frames) whose measured −3 dB cut-off is closest to ``cutoff`` Hz
    (searched over the filter's frequency response; the closed-form approximations in the
    literature are off by a factor of 2–3 at these window lengths)."""
    first = (polyorder // 2) * 2 + 3  # the shortest odd window longer than polyorder + 1
    best, best_err = first, np.inf
    for window in range(first, 4 * round(fps / cutoff) + first, 2):
        freqs, response = dsp.fir_response(dsp.savgol_coeffs(window, polyorder), 1024, fps)
        below = np.flatnonzero(np.abs(response) < np.sqrt(0.5))
        if below.size == 0:
            continue
        err = abs(np.log(freqs[below[0]] / cutoff))
        if err < best_err:
            best, best_err = window, err
    return best


def savgol(x: np.ndarray, fps: float, cutoff: float, polyorder: int = 3) -> np.ndarray:
    """Savitzky–Golay smoothing (zero phase, :func:`dsp.savgol_filter`) along axis 0 of
    x (T, ...)."""
    x = np.asarray(x, dtype=np.float64)
    window = savgol_window(fps, cutoff, polyorder)
    if window > len(x):
        window = len(x) if len(x) % 2 else len(x) - 1
    if window <= polyorder:
        return x.copy()
    return dsp.savgol_filter(x, window, polyorder)


def smooth(
    x: np.ndarray,
    fps: float,
    method: str = "one_euro",
    strength: float = 0.5,
    cancel: CancelToken | None = None,
):
    """Smooth x (T, ..., 3) with ``method`` in :data:`FILTERS` at ``strength`` in [0, 1]."""
    if method not in FILTERS:
        raise MotionSettingsError(
            f"Unknown smoothing {method!r}: choose one of {', '.join(FILTERS)}."
        )
    if not 0.0 <= strength <= 1.0:
        raise MotionSettingsError(f"Smoothing strength {strength} is outside 0..1: pick 0..1.")
    if fps <= 0:
        raise MotionSettingsError(f"Frame rate {fps} must be positive: check the video's fps.")
    x = np.asarray(x, dtype=np.float64)
    if method == "none" or strength == 0.0 or len(x) < 3:
        return x.copy()
    fc = cutoff_hz(strength)
    if method == "one_euro":
        return one_euro(x, fps, min_cutoff=fc, cancel=cancel)
    if method == "butterworth":
        return butterworth(x, fps, fc)
    return savgol(x, fps, fc)
