"""Temporal convolution lifter after VideoPose3D (Pavllo et al., CVPR 2019).

Input ``(B, T, J, 3)``: screen-normalised 2D (``x / w * 2 - [1, h / w]``) plus confidence in the
lift layout. Output ``(B, T - receptive_field + 1, J_out, 3)``: camera frame (x right, y down,
z forward), metres. The pose model's root joint is forced to 0 (root-relative); the trajectory
model has one output joint, the root position in the camera frame.

:class:`TemporalModel` is the dilated model used for inference and for training on long chunks;
:class:`TemporalModelStrided` is the paper's training variant (one output per receptive field
window). Both share parameter names, so a state dict loads unchanged into either.
"""

from __future__ import annotations

import torch
from torch import nn

from ..skeleton import NUM_JOINTS


def centre_and_scale(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Per-frame 2D centring of ``(B, T, J, 3)`` normalised 2D + confidence.

    Returns ``rel (B, T, J, 2)`` (joints relative to the pelvis, or to the mean of the visible
    joints when the pelvis is missing, divided by the 2D body size = RMS distance of the visible
    joints from that centre; 0 where confidence is 0), ``conf (B, T, J, 1)``,
    ``centre (B, T, 1, 2)`` and ``scale (B, T, 1, 1)``. Shared by every lifter's input features.
    """
    xy, conf = x[..., :2], x[..., 2:3]
    vis = (conf > 0).to(x.dtype)
    n = vis.sum(dim=2, keepdim=True).clamp(min=1.0)
    mean = (xy * vis).sum(dim=2, keepdim=True) / n
    pelvis_vis = vis[:, :, :1]
    centre = pelvis_vis * xy[:, :, :1] + (1 - pelvis_vis) * mean
    d2 = (((xy - centre) ** 2).sum(dim=-1, keepdim=True) * vis).sum(dim=2, keepdim=True) / n
    scale = torch.sqrt(d2).clamp(min=1e-3)
    return (xy - centre) / scale * vis, conf, centre, scale


def normalize_frames(x: torch.Tensor) -> torch.Tensor:
    """Per-frame 2D normalisation ``(B, T, J, 3)`` → ``(B, T, J * 3 + 3)`` features.

    Joint positions relative to the pelvis (joint 0; the confidence-weighted mean of the
    visible joints when the pelvis is missing), divided by the 2D body size (RMS distance of
    the visible joints from that centre); joints with confidence 0 stay at 0. The centre (2) and
    the log body size (1) are appended, so nothing is lost but the network sees poses at one
    scale whatever the camera's focal length and distance.
    """
    rel, conf, centre, scale = centre_and_scale(x)
    feats = torch.cat([rel, conf], dim=-1).flatten(2)
    return torch.cat([feats, centre[:, :, 0], torch.log(scale[:, :, 0])], dim=-1)


def _input_features(x: torch.Tensor, normalize: bool) -> torch.Tensor:
    """``(B, T, J, F)`` → ``(B, T, C_in)`` model input features."""
    return normalize_frames(x) if normalize else x.flatten(2)


class _TemporalBase(nn.Module):
    """Layers shared by the dilated and the strided variants (same state dict keys)."""

    def __init__(
        self,
        *,
        joints_in: int = NUM_JOINTS,
        features_in: int = 3,
        joints_out: int = NUM_JOINTS,
        filter_widths: tuple[int, ...] = (3, 3, 3, 3),
        channels: int = 512,
        dropout: float = 0.25,
        zero_root: bool = True,
        normalize: bool = False,
    ):
        super().__init__()
        for w in filter_widths:
            if w % 2 == 0:
                raise ValueError(f"filter widths must be odd, got {filter_widths}")
        self.joints_in = joints_in
        self.features_in = features_in
        self.joints_out = joints_out
        self.filter_widths = tuple(int(w) for w in filter_widths)
        self.channels = channels
        self.zero_root = zero_root
        self.normalize = normalize
        self.drop = nn.Dropout(dropout)
        self.relu = nn.ReLU(inplace=True)
        c_in = joints_in * features_in + (3 if normalize else 0)
        self.expand_conv = nn.Conv1d(
            c_in, channels, filter_widths[0], stride=self._stride(0), bias=False
        )
        self.expand_bn = nn.BatchNorm1d(channels, momentum=0.1)
        convs, bns = [], []
        self.pads = []
        self.dilations = []
        next_dilation = filter_widths[0]
        for i, w in enumerate(filter_widths[1:], start=1):
            self.pads.append((w - 1) * next_dilation // 2)
            self.dilations.append(next_dilation)
            convs.append(self._block_conv(channels, w, next_dilation, i))
            bns.append(nn.BatchNorm1d(channels, momentum=0.1))
            convs.append(nn.Conv1d(channels, channels, 1, bias=False))
            bns.append(nn.BatchNorm1d(channels, momentum=0.1))
            next_dilation *= w
        self.layers_conv = nn.ModuleList(convs)
        self.layers_bn = nn.ModuleList(bns)
        self.shrink = nn.Conv1d(channels, joints_out * 3, 1)

    def _stride(self, i: int) -> int:
        return 1

    def _block_conv(self, channels: int, width: int, dilation: int, i: int) -> nn.Conv1d:
        raise NotImplementedError

    def receptive_field(self) -> int:
        """Number of input frames that determine one output frame."""
        frames = 1
        for w in self.filter_widths:
            frames *= w
        return frames

    def pad(self) -> int:
        """Frames of context on each side of an output frame, ``(receptive_field - 1) // 2``."""
        return (self.receptive_field() - 1) // 2

    def set_bn_momentum(self, momentum: float) -> None:
        """Set the batch-norm momentum of every layer (VideoPose3D decays it during training)."""
        self.expand_bn.momentum = momentum
        for bn in self.layers_bn:
            bn.momentum = momentum

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, T, J_in, F)`` → ``(B, T_out, J_out, 3)``."""
        if x.dim() != 4 or x.shape[2] != self.joints_in or x.shape[3] != self.features_in:
            raise ValueError(
                f"expected input (B, T, {self.joints_in}, {self.features_in}), got {tuple(x.shape)}"
            )
        b = x.shape[0]
        h = _input_features(x, self.normalize).permute(0, 2, 1)
        h = self.drop(self.relu(self.expand_bn(self.expand_conv(h))))
        for i in range(len(self.pads)):
            res = self._residual(h, i)
            h = self.drop(self.relu(self.layers_bn[2 * i](self.layers_conv[2 * i](h))))
            h = res + self.drop(
                self.relu(self.layers_bn[2 * i + 1](self.layers_conv[2 * i + 1](h)))
            )
        out = self.shrink(h).permute(0, 2, 1).reshape(b, -1, self.joints_out, 3)
        if self.zero_root:
            out = torch.cat([torch.zeros_like(out[:, :, :1]), out[:, :, 1:]], dim=2)
        return out

    def _residual(self, h: torch.Tensor, i: int) -> torch.Tensor:
        raise NotImplementedError


class TemporalModel(_TemporalBase):
    """Dilated temporal model: any input length ≥ the receptive field, one output per frame.

    Arguments: ``joints_in`` / ``features_in`` (21 × 3: 2D + confidence), ``joints_out`` (21 for
    the pose model, 1 for the trajectory model), ``filter_widths`` (receptive field = their
    product: (3, 3, 3) → 27, (3, 3, 3, 3) → 81, (3, 3, 3, 3, 3) → 243), ``channels``,
    ``dropout``, ``zero_root`` (force output joint 0 to the origin).
    """

    def _block_conv(self, channels: int, width: int, dilation: int, i: int) -> nn.Conv1d:
        return nn.Conv1d(channels, channels, width, dilation=dilation, bias=False)

    def _residual(self, h: torch.Tensor, i: int) -> torch.Tensor:
        pad = self.pads[i]
        return h[:, :, pad : h.shape[2] - pad]


class TemporalModelStrided(_TemporalBase):
    """Training variant: strided convolutions, no dilation, one output per window.

    Input length must be a multiple of the receptive field; its state dict is interchangeable
    with :class:`TemporalModel` built with the same arguments.
    """

    def _stride(self, i: int) -> int:
        return self.filter_widths[i]

    def _block_conv(self, channels: int, width: int, dilation: int, i: int) -> nn.Conv1d:
        return nn.Conv1d(channels, channels, width, stride=width, bias=False)

    def _residual(self, h: torch.Tensor, i: int) -> torch.Tensor:
        w = self.filter_widths[i + 1]
        return h[:, :, w // 2 :: w]


class ResidualMLP(nn.Module):
    """Single-frame baseline (Martinez et al. 2017 style): each frame lifted on its own.

    ``(B, T, J_in, F)`` → ``(B, T, J_out, 3)``; receptive field 1. Linear → BN → ReLU → dropout,
    then ``blocks`` residual blocks of two such layers, then a linear head.
    """

    def __init__(
        self,
        *,
        joints_in: int = NUM_JOINTS,
        features_in: int = 3,
        joints_out: int = NUM_JOINTS,
        channels: int = 1024,
        blocks: int = 2,
        dropout: float = 0.25,
        zero_root: bool = True,
        normalize: bool = False,
    ):
        super().__init__()
        self.joints_in = joints_in
        self.features_in = features_in
        self.joints_out = joints_out
        self.zero_root = zero_root
        self.normalize = normalize
        self.inp = nn.Linear(joints_in * features_in + (3 if normalize else 0), channels)
        self.inp_bn = nn.BatchNorm1d(channels, momentum=0.1)
        self.lin = nn.ModuleList(nn.Linear(channels, channels) for _ in range(2 * blocks))
        self.bns = nn.ModuleList(nn.BatchNorm1d(channels, momentum=0.1) for _ in range(2 * blocks))
        self.out = nn.Linear(channels, joints_out * 3)
        self.drop = nn.Dropout(dropout)
        self.relu = nn.ReLU(inplace=True)

    def receptive_field(self) -> int:
        return 1

    def pad(self) -> int:
        return 0

    def set_bn_momentum(self, momentum: float) -> None:
        self.inp_bn.momentum = momentum
        for bn in self.bns:
            bn.momentum = momentum

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[2] != self.joints_in or x.shape[3] != self.features_in:
            raise ValueError(
                f"expected input (B, T, {self.joints_in}, {self.features_in}), got {tuple(x.shape)}"
            )
        b, t = x.shape[:2]
        h = _input_features(x, self.normalize).reshape(b * t, -1)
        h = self.drop(self.relu(self.inp_bn(self.inp(h))))
        for i in range(0, len(self.lin), 2):
            y = self.drop(self.relu(self.bns[i](self.lin[i](h))))
            h = h + self.drop(self.relu(self.bns[i + 1](self.lin[i + 1](y))))
        out = self.out(h).reshape(b, t, self.joints_out, 3)
        if self.zero_root:
            out = torch.cat([torch.zeros_like(out[:, :, :1]), out[:, :, 1:]], dim=2)
        return out


ARCHITECTURES = {"tcn": TemporalModel, "mlp": ResidualMLP}


def build_model(architecture: str, **kwargs) -> nn.Module:
    """Build a model by architecture name (``"tcn"`` or ``"mlp"``) and constructor arguments."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; use one of {list(ARCHITECTURES)}")
    if "filter_widths" in kwargs:
        kwargs["filter_widths"] = tuple(kwargs["filter_widths"])
    return ARCHITECTURES[architecture](**kwargs)
