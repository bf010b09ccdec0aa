"""The few signal-processing routines the motion stage needs, in NumPy (no SciPy in the zip).

Each function computes what its SciPy namesake computes with the arguments Lift uses, and
tests/lifting/test_filters.py checks them against SciPy (max abs difference ≤ 1e-9):

- :func:`butter_lowpass` = ``scipy.signal.butter(order, wn)`` (digital low-pass, ``(b, a)``)
- :func:`filtfilt` = ``scipy.signal.filtfilt(b, a, x, axis=0, padlen=...)`` (odd padding)
- :func:`savgol_coeffs` = ``scipy.signal.savgol_coeffs(window, polyorder)``
- :func:`fir_response` = ``scipy.signal.freqz(taps, worN=n, fs=fs)``
- :func:`savgol_filter` = ``scipy.signal.savgol_filter(x, window, polyorder, axis=0,
  mode="interp")``
- :func:`running_min` = ``scipy.ndimage.minimum_filter1d(x, size, axis=0, mode="nearest")``
- :func:`gaussian_filter1d` = ``scipy.ndimage.gaussian_filter1d(x, sigma, axis=0)``

Signals are arrays ``(T, ...)`` filtered along axis 0 (time, frames); the trailing axes are
independent channels. Results are float64.
"""

from __future__ import annotations

import numpy as np


def _channels(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """x (T, ...) as a float64 (T, N) array and the shape to restore."""
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(len(x), -1), x.shape


def butter_lowpass(order: int, wn: float) -> tuple[np.ndarray, np.ndarray]:
    """Digital Butterworth low-pass of ``order`` with cut-off ``wn`` (fraction of Nyquist,
    0 < wn < 1): analogue prototype poles, pre-warped cut-off, bilinear transform.
    Returns the transfer function ``(b, a)``, each (order + 1,), ``a[0] = 1``."""
    if not 0.0 < wn < 1.0:
        raise ValueError(f"cut-off {wn} must be strictly between 0 and 1 (Nyquist)")
    fs = 2.0  # frequencies in units of half the sampling rate, as scipy.signal.butter
    m = np.arange(-order + 1, order, 2)
    poles = -np.exp(1j * np.pi * m / (2 * order))  # unit-cut-off analogue prototype
    warped = 2 * fs * np.tan(np.pi * wn / fs)
    poles = poles * warped
    gain = warped**order
    fs2 = 2 * fs
    z_poles = (fs2 + poles) / (fs2 - poles)
    gain = gain * np.real(1.0 / np.prod(fs2 - poles))
    b = gain * np.real(np.poly(-np.ones(order)))  # all zeros at z = -1 (Nyquist)
    a = np.real(np.poly(z_poles))
    return b, a


def lfilter_zi(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Steady-state initial conditions (len - 1,) of the direct-form-II-transposed filter
    ``(b, a)`` for a unit step input (``scipy.signal.lfilter_zi``)."""
    b, a = np.asarray(b, np.float64) / a[0], np.asarray(a, np.float64) / a[0]
    n = max(len(a), len(b))
    a = np.r_[a, np.zeros(n - len(a))]
    b = np.r_[b, np.zeros(n - len(b))]
    companion = np.zeros((n - 1, n - 1))
    companion[0] = -a[1:]
    companion[np.arange(1, n - 1), np.arange(n - 2)] = 1.0
    return np.linalg.solve(np.eye(n - 1) - companion.T, b[1:] - a[1:] * b[0])


def lfilter(b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """IIR filter x (T, N) along axis 0 in direct form II transposed from state zi
    (len - 1, N); returns y (T, N) (``scipy.signal.lfilter(b, a, x, axis=0, zi=zi)[0]``)."""
    b, a = np.asarray(b, np.float64) / a[0], np.asarray(a, np.float64) / a[0]
    n = max(len(a), len(b))
    a = np.r_[a, np.zeros(n - len(a))]
    b = np.r_[b, np.zeros(n - len(b))]
    z = [row.copy() for row in zi]
    y = np.empty_like(x)
    for t in range(len(x)):
        xt = x[t]
        yt = b[0] * xt + z[0]
        for i in range(n - 2):
            z[i] = b[i + 1] * xt + z[i + 1] - a[i + 1] * yt
        z[n - 2] = b[n - 1] * xt - a[n - 1] * yt
        y[t] = yt
    return y


def _odd_extension(x: np.ndarray, n: int) -> np.ndarray:
    """x (T, N) extended by ``n`` frames at each end by odd reflection about the end samples
    (keeps the end value and slope)."""
    left = 2 * x[:1] - x[n:0:-1]
    right = 2 * x[-1:] - x[-2 : -(n + 2) : -1]
    return np.concatenate([left, x, right])


def filtfilt(b: np.ndarray, a: np.ndarray, x: np.ndarray, padlen: int) -> np.ndarray:
    """Zero-phase filtering of x (T, ...) along axis 0: odd extension by ``padlen`` frames
    (0 <= padlen < T), a forward and a backward pass of ``(b, a)``, each started in the steady
    state of its first sample. Returns (T, ...)."""
    flat, shape = _channels(x)
    if not 0 <= padlen < len(flat):
        raise ValueError(f"padlen {padlen} must be below the signal length {len(flat)}")
    ext = _odd_extension(flat, padlen) if padlen else flat
    zi = lfilter_zi(b, a)[:, None]
    y = lfilter(b, a, ext, zi * ext[0])
    y = lfilter(b, a, y[::-1], zi * y[-1])[::-1]
    return y[padlen : len(y) - padlen].reshape(shape)


def savgol_coeffs(window: int, polyorder: int) -> np.ndarray:
    """Savitzky–Golay smoothing taps (window,): the least-squares polynomial of ``polyorder``
    through ``window`` (odd) samples, evaluated at the centre, as convolution taps."""
    if window % 2 == 0 or polyorder >= window:
        raise ValueError(f"window {window} must be odd and longer than polyorder {polyorder}")
    half = window // 2
    t = np.arange(-half, window - half, dtype=np.float64)[::-1]
    vander = t ** np.arange(polyorder + 1)[:, None]  # (polyorder + 1, window)
    unit = np.zeros(polyorder + 1)
    unit[0] = 1.0
    return np.linalg.lstsq(vander, unit, rcond=None)[0]


def fir_response(taps: np.ndarray, n: int, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Frequency response of FIR ``taps`` at ``n`` frequencies from 0 (inclusive) to Nyquist
    (exclusive). Returns ``(freqs (n,) Hz, complex response (n,))``; needs len(taps) <= 2n."""
    response = np.fft.rfft(taps, n=2 * n)[:n]
    return np.linspace(0.0, np.pi, n, endpoint=False) * fs / (2 * np.pi), response


def _convolve_valid(flat: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Full-overlap convolution of every channel of flat (T, N) with taps (W,): (T - W + 1, N)."""
    return np.stack([np.convolve(col, taps, mode="valid") for col in flat.T], axis=1)


def savgol_filter(x: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    """Savitzky–Golay smoothing of x (T, ...) along axis 0 with an odd ``window`` <= T: the
    taps inside, and at each end the polynomial fitted to the first / last ``window`` samples
    (SciPy's ``mode="interp"``). Returns (T, ...)."""
    flat, shape = _channels(x)
    if window > len(flat):
        raise ValueError(f"window {window} is longer than the signal ({len(flat)} frames)")
    half = window // 2
    y = np.empty_like(flat)
    y[half : len(flat) - half] = _convolve_valid(flat, savgol_coeffs(window, polyorder))
    t = np.arange(window, dtype=np.float64)
    vander = t[:, None] ** np.arange(polyorder + 1)  # (window, polyorder + 1)
    head = np.linalg.lstsq(vander, flat[:window], rcond=None)[0]
    tail = np.linalg.lstsq(vander, flat[-window:], rcond=None)[0]
    y[:half] = vander[:half] @ head
    y[len(flat) - half :] = vander[window - half :] @ tail
    return y.reshape(shape)


def running_min(x: np.ndarray, size: int) -> np.ndarray:
    """Minimum of x (T, ...) over a window of ``size`` frames along axis 0, covering
    ``t - size // 2 .. t + (size - 1) // 2``, ends extended with the end values. (T, ...)."""
    flat, shape = _channels(x)
    before, after = size // 2, (size - 1) // 2
    padded = np.concatenate([np.repeat(flat[:1], before, 0), flat, np.repeat(flat[-1:], after, 0)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=0)
    return windows.min(axis=-1).reshape(shape)


def gaussian_filter1d(x: np.ndarray, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Gaussian smoothing of x (T, ...) along axis 0 with standard deviation ``sigma`` frames,
    the kernel cut at ``truncate`` sigmas, the ends mirrored (``d c b a | a b c d``)."""
    flat, shape = _channels(x)
    radius = int(truncate * float(sigma) + 0.5)
    k = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 / (float(sigma) ** 2) * k**2)
    taps /= taps.sum()
    padded = np.pad(flat, ((radius, radius), (0, 0)), mode="symmetric")  # repeats if T < radius
    return _convolve_valid(padded, taps).reshape(shape)
