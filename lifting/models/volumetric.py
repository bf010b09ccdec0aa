"""Single-frame coarse-to-fine volumetric lifter after Pavlakos et al. (CVPR 2017).

Input ``(B, T, J, 3)``: screen-normalised 2D + confidence, lift layout; each frame is lifted on
its own (receptive field 1). Output ``(B, T, J, 3)``: camera frame (x right, y down, z forward),
metres, root-relative (joint 0 forced to 0).

Lift's input is 2D keypoints, not an image, so the paper's x, y heatmap dimensions are already
given; what is left to estimate is each joint's depth relative to the pelvis, and the metric
x, y (the image gives them only up to the unknown depth and focal length). Per stage:

- **depth** as a distribution over ``bins`` equal bins on ``[-depth_range, depth_range]`` m
  (root-relative z), read out by soft-argmax (the probability-weighted mean of the bin centres,
  differentiable); a stage with 1 bin has depth 0 (the paper's first, 2D-only stage);
- **x, y** regressed in metres (the projection inverted by the network).

Stages refine the depth resolution, e.g. 1 → 2 → 4 → 8 → 16 → 32 → 64 bins; each is
supervised (intermediate supervision). A stage passes its features and its distribution to the
next separately: the next stage's input is ``features + proj_d(distribution, x, y)`` (the
hourglass design: the features carried on plus the remapped heatmaps; the features need no
projection here since every stage works in the same C-dimensional space). ``bins=(0,)`` is
the direct coordinate regression used as the ablation's baseline (z regressed like x, y).
"""

from __future__ import annotations

import torch
from torch import nn

from ..skeleton import NUM_JOINTS
from .graph import NODE_FEATURES, node_features


def soft_argmax(logits: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Expectation of ``centres (K,)`` under ``softmax(logits (..., K))`` → ``(...)``."""
    return (torch.softmax(logits, dim=-1) * centres).sum(dim=-1)


def bin_centres(bins: int, depth_range: float) -> torch.Tensor:
    """Centres ``(bins,)`` of ``bins`` equal bins on ``[-depth_range, depth_range]``."""
    edges = torch.linspace(-depth_range, depth_range, bins + 1)
    return 0.5 * (edges[1:] + edges[:-1])


class Block(nn.Module):
    """Residual block: x + drop(relu(BN(W2 drop(relu(BN(W1 x))))))."""

    def __init__(self, channels: int, dropout: float):
        super().__init__()
        self.lin1 = nn.Linear(channels, channels)
        self.bn1 = nn.BatchNorm1d(channels, momentum=0.1)
        self.lin2 = nn.Linear(channels, channels)
        self.bn2 = nn.BatchNorm1d(channels, momentum=0.1)
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        y = self.drop(torch.relu(self.bn1(self.lin1(h))))
        return h + self.drop(torch.relu(self.bn2(self.lin2(y))))


class Stage(nn.Module):
    """``blocks`` residual blocks → per joint x, y and ``bins`` depth logits (or z if 0)."""

    def __init__(self, channels: int, joints: int, bins: int, blocks: int, dropout: float):
        super().__init__()
        self.joints, self.bins = joints, bins
        self.blocks = nn.Sequential(*(Block(channels, dropout) for _ in range(blocks)))
        self.out = nn.Linear(channels, joints * (2 + max(bins, 1)))

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``h (N, C)`` → ``(features (N, C), raw output (N, J, 2 + max(bins, 1)))``."""
        h = self.blocks(h)
        return h, self.out(h).reshape(h.shape[0], self.joints, -1)


class VolumetricLifter(nn.Module):
    """Coarse-to-fine depth-distribution lifter (single frame).

    Arguments: ``joints_in``/``features_in`` (21 × 3), ``joints_out`` (21), ``bins`` per stage
    (``(1, 2, 4, 8, 16, 32, 64)``; ``(64,)`` a single 64-bin stage; ``(0,)`` direct regression),
    ``blocks`` per stage, ``channels``, ``dropout``, ``depth_range`` (m), ``zero_root``.
    """

    def __init__(
        self,
        *,
        joints_in: int = NUM_JOINTS,
        features_in: int = 3,
        joints_out: int = NUM_JOINTS,
        bins: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64),
        blocks: int = 1,
        channels: int = 512,
        dropout: float = 0.1,
        depth_range: float = 1.2,
        zero_root: bool = True,
    ):
        super().__init__()
        if features_in != 3:
            raise ValueError("VolumetricLifter takes normalised 2D + confidence (3 features)")
        self.joints_in = joints_in
        self.features_in = features_in
        self.joints_out = joints_out
        self.bins = tuple(int(b) for b in bins)
        self.zero_root = zero_root
        self.inp = nn.Linear(joints_in * NODE_FEATURES, channels)
        self.inp_bn = nn.BatchNorm1d(channels, momentum=0.1)
        self.stages = nn.ModuleList(
            Stage(channels, joints_out, b, blocks, dropout) for b in self.bins
        )
        # Next stage's input = features + proj_d(distribution, x, y), passed on separately.
        self.proj_d = nn.ModuleList(
            nn.Linear(joints_out * (2 + max(b, 1)), channels) for b in self.bins[:-1]
        )
        for i, b in enumerate(self.bins):
            self.register_buffer(f"centres{i}", bin_centres(max(b, 1), depth_range))

    def receptive_field(self) -> int:
        return 1

    def pad(self) -> int:
        return 0

    def set_bn_momentum(self, momentum: float) -> None:
        for m in self.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.momentum = momentum

    def _decode(self, raw: torch.Tensor, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Stage ``i``'s raw output ``(N, J, 2 + K)`` → ``xyz (N, J, 3)`` and what is passed
        on, ``(N, J · (2 + K))``: x, y and the depth distribution (or z when regressing)."""
        xy, rest = raw[..., :2], raw[..., 2:]
        if self.bins[i] == 0:
            return torch.cat([xy, rest], dim=-1), raw.flatten(1)
        prob = torch.softmax(rest, dim=-1)
        z = (prob * getattr(self, f"centres{i}")).sum(dim=-1, keepdim=True)
        return torch.cat([xy, z], dim=-1), torch.cat([xy, prob], dim=-1).flatten(1)

    def forward_stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every stage's prediction ``[(B, T, J, 3)]``, coarse to fine (for supervision)."""
        if x.dim() != 4 or x.shape[2] != self.joints_in or x.shape[3] != self.features_in:
            raise ValueError(
                f"expected input (B, T, {self.joints_in}, {self.features_in}), got {tuple(x.shape)}"
            )
        b, t = x.shape[:2]
        h = torch.relu(self.inp_bn(self.inp(node_features(x).reshape(b * t, -1))))
        outs = []
        for i, stage in enumerate(self.stages):
            h, raw = stage(h)
            xyz, passed = self._decode(raw, i)
            xyz = xyz.reshape(b, t, self.joints_out, 3)
            if self.zero_root:
                xyz = torch.cat([torch.zeros_like(xyz[:, :, :1]), xyz[:, :, 1:]], dim=2)
            outs.append(xyz)
            if i + 1 < len(self.stages):
                h = h + self.proj_d[i](passed)
        return outs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, T, J, 3)`` → ``(B, T, J, 3)`` (the finest stage)."""
        return self.forward_stages(x)[-1]
