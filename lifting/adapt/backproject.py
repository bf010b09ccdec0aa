"""Back-projection losses for self-supervised adaptation (VideoPose3D's semi-supervised term).

Everything here works in the screen-normalised coordinates the lifters read
(``x / w * 2 - [1, h / w]``, :func:`lifting.camera.normalize_screen`). With the principal point
at the frame centre, a camera-frame point ``(X, Y, Z)`` (metres; x right, y down, z forward)
lands at ``f_n * (X / Z, Y / Z)`` where ``f_n = 2 * focal_px / width`` is the focal length in
normalised units (:func:`normalised_focal`).
"""

from __future__ import annotations

import numpy as np
import torch

from ..skeleton import BONES

MIN_DEPTH = 0.1  # m: depths are clamped here so a root behind the camera stays finite


def normalised_focal(focal_px, width) -> np.ndarray | float:
    """Focal length in screen-normalised units: ``2 * focal_px / width`` (scalars or arrays)."""
    return 2.0 * np.asarray(focal_px, np.float64) / np.asarray(width, np.float64)


def project(points: torch.Tensor, f_n: torch.Tensor) -> torch.Tensor:
    """Camera-frame points ``(B, ..., 3)`` metres → normalised screen ``(B, ..., 2)``.

    ``f_n``: ``(B,)`` normalised focal lengths (or a scalar tensor); principal point at the
    frame centre.
    """
    f = f_n.reshape(f_n.shape + (1,) * (points.dim() - 1 - f_n.dim())) if f_n.dim() else f_n
    z = points[..., 2].clamp(min=MIN_DEPTH)
    return torch.stack([f * points[..., 0] / z, f * points[..., 1] / z], dim=-1)


def backprojection_loss(
    pose: torch.Tensor, root: torch.Tensor, inputs: torch.Tensor, f_n: torch.Tensor
) -> torch.Tensor:
    """Confidence-weighted mean 2D distance (normalised units) between the input keypoints and
    the projection of ``pose + root``.

    ``pose (B, T, J, 3)`` root-relative camera metres, ``root (B, T, 3)`` camera metres,
    ``inputs (B, T, J, 3)`` normalised 2D + confidence (confidence 0 = not used), ``f_n (B,)``.
    """
    proj = project(pose + root[:, :, None], f_n)
    conf = inputs[..., 2]
    err = torch.linalg.vector_norm(proj - inputs[..., :2], dim=-1)
    return (err * conf).sum() / conf.sum().clamp(min=1e-6)


def bone_lengths(pose: torch.Tensor) -> torch.Tensor:
    """Bone lengths ``(..., 20)`` (lifting.skeleton.BONES order) of poses ``(..., 21, 3)``."""
    child = [c for c, _ in BONES]
    parent = [p for _, p in BONES]
    return torch.linalg.vector_norm(pose[..., child, :] - pose[..., parent, :], dim=-1)


def bone_loss(pose: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference (m) between the bone lengths of ``pose (B, T, 21, 3)`` and
    ``reference (20,)`` or ``(B, 20)`` (the supervised model's bone lengths for that clip)."""
    ref = reference if reference.dim() == 1 else reference[:, None]
    return (bone_lengths(pose) - ref).abs().mean()


def reference_bone_lengths(pose: np.ndarray, confidence: np.ndarray | None = None) -> np.ndarray:
    """Median bone lengths ``(20,)`` m of a clip's poses ``(T, 21, 3)`` as lifted by the
    supervised model; frames with ``confidence (T, 21)`` all 0 (nobody detected) are left out."""
    p = np.asarray(pose, np.float64)
    if confidence is not None:
        keep = np.asarray(confidence).max(axis=-1) > 0
        if keep.any():
            p = p[keep]
    child = [c for c, _ in BONES]
    parent = [q for _, q in BONES]
    return np.median(np.linalg.norm(p[:, child] - p[:, parent], axis=-1), axis=0).astype(np.float32)
