"""Rotation helpers over stacked 3×3 matrices and w, x, y, z quaternions (NumPy only).

Matrices act on column vectors (``v' = R @ v``), as in Blender's ``mathutils``.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-9


def normalize(v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unit vectors along ``axis``; zero vectors stay zero."""
    n = np.linalg.norm(v, axis=axis, keepdims=True)
    return v / np.maximum(n, EPS)


def perpendicular(v: np.ndarray, axis_dir: np.ndarray) -> np.ndarray:
    """Component of ``v (..., 3)`` perpendicular to the unit vectors ``axis_dir (..., 3)``."""
    return v - np.sum(v * axis_dir, axis=-1, keepdims=True) * axis_dir


def frame_from_y_and_ref(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Right-handed frames (..., 3, 3) with columns (x, y, z): y along ``y``, x towards ``ref``.

    ``y`` and ``ref`` are (..., 3); ``ref`` need not be perpendicular to ``y`` (its
    perpendicular part is used) but must not be parallel to it.
    """
    y = normalize(y)
    x = normalize(perpendicular(ref, y))
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def matrix_to_quat(m: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) → unit quaternions (..., 4) as w, x, y, z (w ≥ 0).

    Shepperd's method: pick the largest of the four squared components for precision.
    """
    m = np.asarray(m, dtype=np.float64)
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    trace = m00 + m11 + m22
    cand = np.stack([trace, m00, m11, m22], axis=-1)
    pick = np.argmax(cand, axis=-1)
    q = np.empty((*m.shape[:-2], 4))
    # w largest
    s = np.sqrt(np.maximum(1.0 + trace, EPS)) * 2.0
    qw = np.stack(
        [0.25 * s, (m[..., 2, 1] - m[..., 1, 2]) / s, (m[..., 0, 2] - m[..., 2, 0]) / s,
         (m[..., 1, 0] - m[..., 0, 1]) / s], axis=-1,
    )  # fmt: skip
    s = np.sqrt(np.maximum(1.0 + m00 - m11 - m22, EPS)) * 2.0
    qx = np.stack(
        [(m[..., 2, 1] - m[..., 1, 2]) / s, 0.25 * s, (m[..., 0, 1] + m[..., 1, 0]) / s,
         (m[..., 0, 2] + m[..., 2, 0]) / s], axis=-1,
    )  # fmt: skip
    s = np.sqrt(np.maximum(1.0 + m11 - m00 - m22, EPS)) * 2.0
    qy = np.stack(
        [(m[..., 0, 2] - m[..., 2, 0]) / s, (m[..., 0, 1] + m[..., 1, 0]) / s, 0.25 * s,
         (m[..., 1, 2] + m[..., 2, 1]) / s], axis=-1,
    )  # fmt: skip
    s = np.sqrt(np.maximum(1.0 + m22 - m00 - m11, EPS)) * 2.0
    qz = np.stack(
        [(m[..., 1, 0] - m[..., 0, 1]) / s, (m[..., 0, 2] + m[..., 2, 0]) / s,
         (m[..., 1, 2] + m[..., 2, 1]) / s, 0.25 * s], axis=-1,
    )  # fmt: skip
    for k, cand_q in enumerate((qw, qx, qy, qz)):
        q[pick == k] = cand_q[pick == k]
    q = normalize(q)
    return np.where(q[..., :1] < 0, -q, q)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Quaternions (..., 4) w, x, y, z (normalised here) → rotation matrices (..., 3, 3)."""
    q = normalize(np.asarray(q, dtype=np.float64))
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def make_continuous(q: np.ndarray) -> np.ndarray:
    """Flip signs along axis 0 of quaternions (T, ..., 4) so neighbours have dot ≥ 0.

    q and -q are the same rotation, but F-curves interpolate the components: a sign flip
    between two frames would spin the bone the long way round. Like ``make_compatible``.
    """
    q = np.array(q, dtype=np.float64, copy=True)
    if len(q) < 2:
        return q
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    flips = np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)
    q[1:] *= flips[..., None]
    return q


def axis_angle_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about unit ``axis (..., 3)`` by ``angle (...)`` radians."""
    axis = normalize(np.asarray(axis, dtype=np.float64))
    half = 0.5 * np.asarray(angle, dtype=np.float64)
    q = np.concatenate([np.cos(half)[..., None], axis * np.sin(half)[..., None]], axis=-1)
    return quat_to_matrix(q)
