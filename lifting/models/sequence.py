"""Running a lifter over whole sequences: edge-replication padding and mirror test-time
augmentation (VideoPose3D §3 and §4).

Inputs are ``(B, T, J, 3)`` screen-normalised 2D + confidence in the lift layout. Mirroring
negates normalised x (a mirror about the image's vertical centre line) and swaps left and right
joints; predictions are mirrored back (negate camera x, swap) and averaged.
"""

from __future__ import annotations

import torch
from torch import nn

from ..skeleton import NUM_JOINTS, flip_permutation


def pad_edges(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Replicate the first and last frames of ``x (B, T, ...)`` ``pad`` times each side."""
    if pad <= 0:
        return x
    first = x[:, :1].expand(-1, pad, *x.shape[2:])
    last = x[:, -1:].expand(-1, pad, *x.shape[2:])
    return torch.cat([first, x, last], dim=1)


def mirror_2d(x: torch.Tensor) -> torch.Tensor:
    """Mirror normalised 2D inputs ``(B, T, 21, 3)``: negate x, swap left/right joints."""
    out = x[:, :, flip_permutation()].clone()
    out[..., 0] = -out[..., 0]
    return out


def mirror_3d(y: torch.Tensor) -> torch.Tensor:
    """Mirror camera-frame outputs ``(B, T, J, 3)``: negate x, and swap sides when J = 21."""
    out = y[:, :, flip_permutation()].clone() if y.shape[2] == NUM_JOINTS else y.clone()
    out[..., 0] = -out[..., 0]
    return out


@torch.no_grad()
def predict_sequence(
    model: nn.Module, x: torch.Tensor, *, mirror: bool = True, chunk: int = 10_000
) -> torch.Tensor:
    """Lift whole sequences ``x (B, T, J, 3)`` → ``(B, T, J_out, 3)``, one output per frame.

    The sequence ends are padded by edge replication so every frame gets a prediction, even for
    clips shorter than the receptive field. With ``mirror`` the mirrored input is predicted too
    and the mirrored-back result averaged in. Long clips are processed ``chunk`` output frames at
    a time (with their context), which gives exactly the same result as one pass.
    """
    model.eval()
    pad = model.pad()
    xp = pad_edges(x, pad)
    if mirror:
        xp = torch.cat([xp, mirror_2d(xp)], dim=0)
    t = x.shape[1]
    parts = []
    for start in range(0, t, chunk):
        stop = min(t, start + chunk)
        parts.append(model(xp[:, start : stop + 2 * pad]))
    out = torch.cat(parts, dim=1)
    if mirror:
        b = x.shape[0]
        out = 0.5 * (out[:b] + mirror_3d(out[b:]))
    return out
