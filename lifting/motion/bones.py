"""Bone-length locking: one length per bone over the whole clip, directions kept.

Lifters estimate each frame on its own, so a shin can stretch by centimetres from frame to frame.
Locking gives each bone its median length while moving the joints as little as possible and
keeping bone directions (lift layout; :data:`lifting.skeleton.PARENTS` is topologically
ordered).
"""

from __future__ import annotations

import numpy as np

from ..skeleton import BONES, JOINT_INDEX, LEFT, NUM_JOINTS, PARENTS, RIGHT


def median_bone_lengths(
    joints: np.ndarray, valid: np.ndarray | None = None, symmetric: bool = True
) -> np.ndarray:
    """Per-joint bone length (J,) metres: ``lengths[c]`` = median |joints[:, c] − joints[:, p]|
    over ``valid`` frames (T,) bool (all if None); ``lengths[root] = 0``. With ``symmetric``
    each left bone and its right twin share their mean (people are nearly symmetric; lifter
    errors are not)."""
    j = np.asarray(joints, dtype=np.float64)
    if valid is not None and np.any(valid):
        j = j[np.asarray(valid, dtype=bool)]
    lengths = np.zeros(NUM_JOINTS)
    for c, p in BONES:
        lengths[c] = np.median(np.linalg.norm(j[:, c] - j[:, p], axis=-1))
    if symmetric:
        for left, right in zip(LEFT, RIGHT, strict=True):
            lengths[[left, right]] = lengths[[left, right]].mean()
    return lengths


def lock_bone_lengths(joints: np.ndarray, lengths: np.ndarray, iterations: int = 8) -> np.ndarray:
    """Joints (T, J, 3) moved as little as possible so bone c has length ``lengths[c]`` (J,).

    The clip is first scaled about the root by its median length ratio, then a few rounds of
    constraint projection (each bone's two ends move equally along the bone, which keeps its
    direction), then one exact pass parent → child from the root that sets
    every length exactly along the projected directions. Rebuilding from the root alone would
    pile each bone's direction error onto every joint below it; projecting first keeps each
    joint near its estimate. The root may move; callers re-centre if they need it at 0.
    """
    out = np.asarray(joints, dtype=np.float64).copy()
    # Projection assumes lengths near the current ones: first scale the poses about their roots
    # by the clip's median length ratio (a uniformly bigger target must not crumple them).
    child = [c for c, _ in BONES]
    current = np.linalg.norm(out[:, child] - out[:, [p for _, p in BONES]], axis=-1)
    ratio = np.median(np.asarray(lengths)[child] / np.maximum(np.median(current, axis=0), 1e-9))
    out = out[:, :1] + (out - out[:, :1]) * ratio
    for _ in range(iterations):
        for c, p in BONES:
            d = out[:, c] - out[:, p]
            n = np.linalg.norm(d, axis=-1, keepdims=True)
            corr = 0.5 * (n - lengths[c]) * d / np.maximum(n, 1e-9)
            out[:, c] -= corr
            out[:, p] += corr
    src = out.copy()
    for c, p in enumerate(PARENTS):
        if p < 0:
            continue
        d = src[:, c] - src[:, p]
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        d = np.where(n > 1e-9, d / np.maximum(n, 1e-9), np.array([0.0, 0.0, 1.0]))
        out[:, c] = out[:, p] + lengths[c] * d
    return out


# Standing height = leg + spine-to-head-top chain + this (ankle joint above the floor, mostly):
# 0.08 m on the Bandai skeleton, 0.05 m on the CMU one (training clips, head top's 90th
# percentile height against the chain).
ANKLE_HEIGHT = 0.07
HEIGHT_CHAIN = tuple(
    JOINT_INDEX[n] for n in ("r_knee", "r_ankle", "spine", "thorax", "neck", "head")
)


def standing_height(lengths: np.ndarray) -> float:
    """Standing height (m, floor to the top of the head) of a skeleton with per-joint bone
    lengths (J,) (:func:`median_bone_lengths`): thigh + shin + pelvis → head top + ankle."""
    return float(np.sum(np.asarray(lengths)[list(HEIGHT_CHAIN)]) + ANKLE_HEIGHT)


def scale_to_height(lengths: np.ndarray, height: float) -> np.ndarray:
    """Bone lengths (J,) scaled uniformly so :func:`standing_height` is ``height`` m."""
    chain = float(np.sum(np.asarray(lengths)[list(HEIGHT_CHAIN)]))
    return np.asarray(lengths) * ((height - ANKLE_HEIGHT) / max(chain, 1e-6))


def bone_length_variation(joints: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Mean over bones of the coefficient of variation (std / mean) of bone length, in %."""
    j = np.asarray(joints, dtype=np.float64)
    if valid is not None and np.any(valid):
        j = j[np.asarray(valid, dtype=bool)]
    child = [c for c, _ in BONES]
    parent = [p for _, p in BONES]
    lengths = np.linalg.norm(j[:, child] - j[:, parent], axis=-1)
    mean = lengths.mean(axis=0)
    return float(100.0 * np.mean(lengths.std(axis=0) / np.maximum(mean, 1e-9)))
