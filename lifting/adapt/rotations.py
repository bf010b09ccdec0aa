"""Rotations for the teacher/student cycles (torch, batched).

Camera frame: x right, y down, z forward. "Vertical" is the camera's y axis.
"""

from __future__ import annotations

import math

import torch


def axis_angle_to_matrix(v: torch.Tensor) -> torch.Tensor:
    """Axis-angle vectors ``(N, 3)`` (radians × unit axis) → rotation matrices ``(N, 3, 3)``
    (Rodrigues; smooth at 0)."""
    theta = torch.linalg.vector_norm(v, dim=-1, keepdim=True).clamp(min=1e-8)
    k = v / theta
    zero = torch.zeros_like(k[:, 0])
    kx = torch.stack(
        [
            torch.stack([zero, -k[:, 2], k[:, 1]], -1),
            torch.stack([k[:, 2], zero, -k[:, 0]], -1),
            torch.stack([-k[:, 1], k[:, 0], zero], -1),
        ],
        dim=1,
    )
    s, c = torch.sin(theta)[..., None], torch.cos(theta)[..., None]
    eye = torch.eye(3, dtype=v.dtype, device=v.device).expand_as(kx)
    return eye + s * kx + (1 - c) * (kx @ kx)


def about_vertical(angle: torch.Tensor) -> torch.Tensor:
    """Rotations ``(N, 3, 3)`` by ``angle (N,)`` radians about the camera's y axis."""
    c, s = torch.cos(angle), torch.sin(angle)
    z, o = torch.zeros_like(angle), torch.ones_like(angle)
    return torch.stack(
        [torch.stack([c, z, s], -1), torch.stack([z, o, z], -1), torch.stack([-s, z, c], -1)],
        dim=1,
    )


def random_rotations(
    n: int, generator: torch.Generator | None = None, max_tilt_deg: float = 30.0
) -> torch.Tensor:
    """``(n, 3, 3)`` random rotations: any turn about the vertical axis, then a tilt about the
    camera's x axis of up to ``max_tilt_deg`` (cameras look at people from around eye level)."""
    yaw = (torch.rand(n, generator=generator) * 2 - 1) * math.pi
    tilt = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_tilt_deg)
    axis_x = torch.zeros(n, 3)
    axis_x[:, 0] = tilt
    return axis_angle_to_matrix(axis_x) @ about_vertical(yaw)
