"""Pose error metrics (VideoPose3D ``common/loss.py`` protocols), NumPy.

All take poses ``(..., J, 3)`` in the same units (metres here) and return a float in those units
(callers multiply by 1000 for millimetres). ``pred`` and ``target`` must have the same shape.

- :func:`mpjpe` — Protocol 1: mean Euclidean distance per joint.
- :func:`p_mpjpe` — Protocol 2: after a per-frame similarity Procrustes alignment (rotation,
  uniform scale, translation) of ``pred`` onto ``target``; reflections are not allowed.
- :func:`n_mpjpe` — after a per-frame least-squares scale of ``pred`` onto ``target`` only.
- :func:`mpjve` — mean per-joint velocity error: norm of the difference of consecutive-frame
  differences along the time axis (axis -3), per frame (mm/frame when poses are in mm).
"""

from __future__ import annotations

import numpy as np


def _check(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape or pred.ndim < 2 or pred.shape[-1] != 3:
        raise ValueError(
            f"expected two (..., J, 3) arrays of one shape, got {pred.shape}, {target.shape}"
        )
    return pred, target


def mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint position error of ``(..., J, 3)`` poses."""
    pred, target = _check(pred, target)
    return float(np.linalg.norm(pred - target, axis=-1).mean())


def procrustes_align(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Align each pose of ``pred (..., J, 3)`` onto ``target`` with the best similarity transform.

    Solves ``min ||s R p + t - q||`` per pose (Umeyama): R a proper rotation (det +1: a
    reflection in the SVD solution is undone by flipping the last singular vector).
    """
    pred, target = _check(pred, target)
    mu_p = pred.mean(axis=-2, keepdims=True)
    mu_t = target.mean(axis=-2, keepdims=True)
    p = pred - mu_p
    q = target - mu_t
    norm_p = np.sqrt((p**2).sum(axis=(-2, -1), keepdims=True))
    norm_t = np.sqrt((q**2).sum(axis=(-2, -1), keepdims=True))
    norm_p = np.maximum(norm_p, 1e-12)
    norm_t = np.maximum(norm_t, 1e-12)
    p = p / norm_p
    q = q / norm_t
    h = np.swapaxes(p, -1, -2) @ q  # (..., 3, 3)
    u, s, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, -1, -2)
    ut = np.swapaxes(u, -1, -2)
    sign = np.sign(np.linalg.det(v @ ut))
    sign[sign == 0] = 1.0
    v[..., :, -1] *= sign[..., None]
    s[..., -1] *= sign
    r = v @ ut  # rotation applied as p @ r.T ... written as (r @ p^T)^T = p @ r^T
    trace = s.sum(axis=-1)[..., None, None]
    scale = trace * norm_t / norm_p
    return scale * (p * norm_p) @ np.swapaxes(r, -1, -2) + mu_t


def p_mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """MPJPE after per-pose similarity Procrustes alignment (Protocol 2)."""
    pred, target = _check(pred, target)
    return mpjpe(procrustes_align(pred, target), target)


def n_mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """MPJPE after scaling each pose of ``pred`` by its least-squares factor onto ``target``."""
    pred, target = _check(pred, target)
    num = (pred * target).sum(axis=(-2, -1), keepdims=True)
    den = np.maximum((pred * pred).sum(axis=(-2, -1), keepdims=True), 1e-12)
    return mpjpe(num / den * pred, target)


def mpjve(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint velocity error of sequences ``(..., T, J, 3)`` (units per frame)."""
    pred, target = _check(pred, target)
    if pred.ndim < 3 or pred.shape[-3] < 2:
        raise ValueError(f"mpjve needs sequences (..., T >= 2, J, 3), got {pred.shape}")
    vel_p = np.diff(pred, axis=-3)
    vel_t = np.diff(target, axis=-3)
    return float(np.linalg.norm(vel_p - vel_t, axis=-1).mean())
