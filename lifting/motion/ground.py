"""Ground plane and camera pose (height, tilt, roll) from where the feet stand.

Works in the camera frame (x right, y down, z forward, metres). Toes that are nearly still are
taken as standing on the floor; a plane fitted robustly to them gives the world's up (so the
camera's tilt and roll) and the camera's height above the floor. A prior up direction (the
body's median spine direction) steadies the fit where the contacts do not span a plane (one
standing spot, a straight walk along the line of sight).
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX

TOE_CLEARANCE = 0.04  # m, height of the toe joint (ball of the foot) above a floor it stands on
STILL_SPEED = 0.3  # m/s, toes slower than this are floor candidates
PRIOR_SPREAD = 0.15  # m, contact spread below which the prior up wins over the fitted plane
LOW_BAND = 0.25  # m above the lowest toes that still counts as low (chosen on training clips)
ROBUST_SCALE = 0.03  # m, residual scale of the Cauchy reweighting
TOES = (JOINT_INDEX["l_toe"], JOINT_INDEX["r_toe"])
HIPS = tuple(JOINT_INDEX[n] for n in ("pelvis", "l_hip", "r_hip"))
FEET = tuple(JOINT_INDEX[n] for n in ("l_ankle", "r_ankle", "l_toe", "r_toe"))
UPPER = tuple(JOINT_INDEX[n] for n in ("thorax", "neck", "head", "l_shoulder", "r_shoulder"))


def body_up(joints_cam: np.ndarray) -> np.ndarray:
    """Prior up direction (3,) in the camera frame from the body over frames (T, J, 3).

    The mean of two unit vectors, each a median over frames: hips → shoulders and head (the
    torso leans in a bow or a run) and feet → pelvis (the body keeps its weight over its feet,
    so on average the pelvis is above them). Together they are about twice as accurate as
    either on training clips; averaging several joints at each end steadies them against a
    lifter's per-joint errors.
    """
    lower = joints_cam[:, list(HIPS)].mean(axis=1)
    upper = joints_cam[:, list(UPPER)].mean(axis=1)
    feet = joints_cam[:, list(FEET)].mean(axis=1)
    torso = _median_direction(upper - lower)
    legs = _median_direction(joints_cam[:, JOINT_INDEX["pelvis"]] - feet)
    return _median_direction((torso + legs)[None])


def _median_direction(v: np.ndarray) -> np.ndarray:
    v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)
    m = np.median(v, axis=0)
    return m / np.linalg.norm(m)


def floor_candidates(joints_cam: np.ndarray, fps: float, up: np.ndarray) -> np.ndarray:
    """Toe positions (N, 3) likely on the floor: low (within :data:`LOW_BAND` of the lowest 5 %
    along ``up``) and still (slower than :data:`STILL_SPEED`, or than the slowest 30 % of the low
    toes when noise makes every toe look fast)."""
    toes = joints_cam[:, list(TOES)].reshape(len(joints_cam), -1, 3)
    height = toes @ up
    low = height < np.percentile(height, 5) + LOW_BAND
    if len(toes) < 2 or not low.any():
        return toes[low] if low.any() else toes.reshape(-1, 3)
    speed = np.linalg.norm(np.gradient(toes, axis=0), axis=-1) * fps
    limit = max(STILL_SPEED, float(np.quantile(speed[low], 0.3)))
    keep = low & (speed <= limit)
    return toes[keep]


def fit_floor(points: np.ndarray, prior_up: np.ndarray, iterations: int = 5) -> np.ndarray:
    """Unit up (3,) of a plane fitted to points (N, 3), oriented like ``prior_up``.

    Minimises Σ wᵢ (n·(pᵢ − p̄))² + λ |n × prior|² over unit n: the smallest eigenvector of the
    weighted scatter plus λ (I − prior priorᵀ), λ = :data:`PRIOR_SPREAD`². Cauchy weights with
    scale :data:`ROBUST_SCALE` make lifted-but-still feet and bad estimates count less.
    """
    prior = prior_up / np.linalg.norm(prior_up)
    n = prior.copy()
    w = np.ones(len(points))
    lam = PRIOR_SPREAD**2 * (np.eye(3) - np.outer(prior, prior))
    for _ in range(iterations):
        mean = (w[:, None] * points).sum(axis=0) / w.sum()
        d = points - mean
        scatter = (w[:, None, None] * d[:, :, None] * d[:, None, :]).sum(axis=0) / w.sum()
        _, vecs = np.linalg.eigh(scatter + lam)
        n = vecs[:, 0] * np.sign(vecs[:, 0] @ prior)
        w = 1.0 / (1.0 + ((d @ n) / ROBUST_SCALE) ** 2)
    return n


def camera_height(points: np.ndarray, up: np.ndarray) -> float:
    """Camera height (m) above the floor whose toe contacts are ``points`` (N, 3)."""
    return float(TOE_CLEARANCE - np.median(points @ up))
