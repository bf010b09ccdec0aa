"""Graph lifter after GLA-GCN (Yu et al., ICCV 2023): global graph-temporal representation,
local per-joint ("individually connected") regression.

Input ``(B, T, J, 3)``: screen-normalised 2D + confidence, lift layout. Output
``(B, T - receptive_field + 1, J, 3)``: camera frame (x right, y down, z forward), metres,
root-relative (joint 0 forced to 0). Receptive field ``3 ** levels`` (27 or 81).

Architecture:

- per-joint features (:func:`lifting.models.graph.node_features`, 6 per joint), a BatchNorm over
  all joint coordinates, then a graph–temporal unit 6 → C;
- ``levels`` levels, each: residual = the centre frame of every group of three; a unit with a
  point-wise temporal conv; a unit with a temporal conv of width 3; sum. Each level shrinks
  time by 3 until one frame (the centre) is left per output;
- unit = ``relu(temporal(graph(x)) + residual)``; graph = adaptive graph convolution with three
  adjacency subsets (self, inward, outward; column-normalised) each plus a learned offset matrix
  and a data-dependent attention (softmax of embedded dot products), summed, BN, residual, ReLU,
  dropout; temporal = conv + BN;
- head: a per-joint linear map from each joint's own node feature (individually connected,
  unshared weights) and a shared linear map, mixed per joint by a learned convex combination
  ``sigmoid(m_j)``.

Differences from the paper, for a 2-core CPU: the strided levels run in their dilated form
(like VideoPose3D's), so one pass over a clip gives every frame's output and training
supervises 32 frames per chunk instead of one per window; that requires the temporal convs to
see only real frames, so the stride-1 unit's temporal conv is point-wise (the paper: width 9
with zero padding inside each window) and the attention is computed per frame (2s-AGCN: over
the whole window). ``forward(x, strided=True)`` is the paper's form (one window per output,
strided temporal convs); both forms share the weights and give the same outputs.
"""

from __future__ import annotations

import torch
from torch import nn

from ..skeleton import NUM_JOINTS
from .graph import NODE_FEATURES, adjacency_subsets, node_features


def _bn(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Batch norm over the last (channel) axis of ``x (..., C)``."""
    return layer(x.reshape(-1, x.shape[-1])).reshape(x.shape)


class _Projection(nn.Module):
    """Residual path: identity, or Linear + BN when the channel count changes."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.lin = None if c_in == c_out else nn.Linear(c_in, c_out)
        self.bn = None if c_in == c_out else nn.BatchNorm1d(c_out, momentum=0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.lin is None else _bn(self.bn, self.lin(x))


class AdaptiveGraphConv(nn.Module):
    """``(N, T, V, C_in)`` → ``(N, T, V, C_out)``: Σ_k W_k (x · (A_k + B_k + C_k(x))).

    ``A_k`` fixed (self / inward / outward), ``B_k`` learned offset (starts at 0), ``C_k(x)``
    per-frame attention ``softmax_v(θ_k(x)ᵀ φ_k(x) / C_e)``; the three W_k are one linear map
    of the concatenated aggregates. BN, residual, ReLU, dropout. Channels last, so every
    weight is one large matrix product (1×1 convolutions are slow on a CPU).
    """

    def __init__(self, c_in: int, c_out: int, adjacency: torch.Tensor, dropout: float = 0.1):
        super().__init__()
        k, v, _ = adjacency.shape
        self.subsets = k
        self.register_buffer("adjacency", adjacency.clone())
        self.offset = nn.Parameter(torch.zeros(k, v, v))
        self.embed = max(4, c_out // 4)
        self.theta_phi = nn.Linear(c_in, 2 * k * self.embed)
        self.conv = nn.Linear(k * c_in, c_out)
        self.bn = nn.BatchNorm1d(c_out, momentum=0.1)
        self.down = _Projection(c_in, c_out)
        self.drop = nn.Dropout(dropout)

    def attentions(self, x: torch.Tensor) -> torch.Tensor:
        """Data-dependent adjacencies ``(N, T, K, V, V)``; each column sums to 1."""
        n, t, v, _ = x.shape
        qk = self.theta_phi(x).reshape(n, t, v, 2, self.subsets, self.embed)
        q = qk[:, :, :, 0].permute(0, 1, 3, 2, 4)  # (N, T, K, V, E)
        k = qk[:, :, :, 1].permute(0, 1, 3, 4, 2)  # (N, T, K, E, V)
        return torch.softmax(torch.matmul(q, k) / self.embed, dim=-2)

    def attention(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Attention of subset ``k``: ``(N, T, V, V)``."""
        return self.attentions(x)[:, :, k]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, v, c = x.shape
        adj = (self.adjacency + self.offset) + self.attentions(x)  # (N, T, K, V, W)
        z = torch.matmul(adj.transpose(-1, -2), x.unsqueeze(2))  # (N, T, K, W, C)
        z = z.permute(0, 1, 3, 2, 4).reshape(n, t, v, self.subsets * c)
        return self.drop(torch.relu(_bn(self.bn, self.conv(z)) + self.down(x)))


class Unit(nn.Module):
    """Graph–temporal unit: ``relu(BN(temporal_conv(graph(x))) + residual(x))``, ``(N, T, V,
    C)``. ``width`` 1 (point-wise) or 3 with ``dilation`` d (valid: time shrinks by 2 d; the
    residual is cropped to the centre frames)."""

    def __init__(
        self, c_in: int, c_out: int, adjacency, *, width=1, dilation=1, dropout=0.1
    ) -> None:
        super().__init__()
        self.width, self.dilation = width, dilation
        self.crop = (width - 1) * dilation // 2
        self.gcn = AdaptiveGraphConv(c_in, c_out, adjacency, dropout)
        self.tcn = nn.Linear(width * c_out, c_out)  # taps concatenated on the channel axis
        self.tbn = nn.BatchNorm1d(c_out, momentum=0.1)
        self.res = _Projection(c_in, c_out)

    def _taps(self, y: torch.Tensor, strided: bool) -> torch.Tensor:
        w, d = self.width, self.dilation
        if w == 1:
            return y
        if strided:  # groups of w consecutive frames, one output each
            return torch.cat([y[:, i::w] for i in range(w)], dim=-1)
        t = y.shape[1] - (w - 1) * d
        return torch.cat([y[:, i * d : i * d + t] for i in range(w)], dim=-1)

    def forward(self, x: torch.Tensor, strided: bool = False) -> torch.Tensor:
        """Dilated form (valid conv, residual cropped), or with ``strided`` the paper's form:
        stride = width, no dilation, residual = the centre frame of each group."""
        c, w = self.crop, self.width
        if c == 0:
            r = x
        elif strided:
            r = x[:, w // 2 :: w]
        else:
            r = x[:, c : x.shape[1] - c]
        y = self.tcn(self._taps(self.gcn(x), strided and c > 0))
        return torch.relu(_bn(self.tbn, y) + self.res(r))


class PerJointHead(nn.Module):
    """Individually connected layer: joint j's output from joint j's feature only.

    ``(N, T, V, C)`` → ``(N, T, V, D)`` with weights ``(V, C, D)`` (one matrix per joint).
    """

    def __init__(self, channels: int, joints: int, out: int = 3):
        super().__init__()
        self.weight = nn.Parameter(1e-3 * torch.randn(joints, channels, out))
        self.bias = nn.Parameter(torch.zeros(joints, out))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.einsum("ntvc,vcd->ntvd", h, self.weight) + self.bias


class GLAGCN(nn.Module):
    """GLA-GCN lifter (dilated form: any input length ≥ the receptive field).

    Arguments: ``joints_in``/``features_in`` (21 × 3), ``joints_out`` (21), ``levels``
    (receptive field 3 ** levels), ``channels`` (C), ``dropout`` (graph convs), ``zero_root``.
    """

    def __init__(
        self,
        *,
        joints_in: int = NUM_JOINTS,
        features_in: int = 3,
        joints_out: int = NUM_JOINTS,
        levels: int = 3,
        channels: int = 64,
        dropout: float = 0.1,
        zero_root: bool = True,
    ):
        super().__init__()
        if joints_in != joints_out or features_in != 3:
            raise ValueError("GLAGCN maps each lift joint to itself: joints_in == joints_out")
        self.joints_in = joints_in
        self.features_in = features_in
        self.joints_out = joints_out
        self.levels = int(levels)
        self.channels = channels
        self.zero_root = zero_root
        adjacency = torch.from_numpy(adjacency_subsets())
        self.input_bn = nn.BatchNorm1d(joints_in * NODE_FEATURES, momentum=0.1)
        self.first = Unit(NODE_FEATURES, channels, adjacency, dropout=dropout)
        self.pointwise = nn.ModuleList()
        self.strided = nn.ModuleList()
        for i in range(self.levels):
            self.pointwise.append(Unit(channels, channels, adjacency, dropout=dropout))
            self.strided.append(
                Unit(channels, channels, adjacency, width=3, dilation=3**i, dropout=dropout)
            )
        self.per_joint = PerJointHead(channels, joints_out)
        self.shared = nn.Linear(channels, 3)
        nn.init.normal_(self.shared.weight, std=1e-3)  # start near the mean pose (root at 0)
        nn.init.zeros_(self.shared.bias)
        self.mix = nn.Parameter(torch.zeros(joints_out))  # sigmoid(0) = 0.5: equal shares

    def receptive_field(self) -> int:
        return 3**self.levels

    def pad(self) -> int:
        return (self.receptive_field() - 1) // 2

    def set_bn_momentum(self, momentum: float) -> None:
        for m in self.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.momentum = momentum

    def features(self, x: torch.Tensor, strided: bool = False) -> torch.Tensor:
        """Node features after the last level: ``(B, T - RF + 1, J, C)``; with ``strided``
        (the paper's form; T a multiple of RF) ``(B, T / RF, J, C)``, one per window."""
        if x.dim() != 4 or x.shape[2] != self.joints_in or x.shape[3] != self.features_in:
            raise ValueError(
                f"expected input (B, T, {self.joints_in}, {self.features_in}), got {tuple(x.shape)}"
            )
        f = node_features(x)
        f = self.input_bn(f.reshape(-1, self.joints_in * NODE_FEATURES)).reshape(f.shape)
        h = self.first(f)
        for i in range(self.levels):
            d = 3**i
            r = h[:, 1::3] if strided else h[:, d : h.shape[1] - d]
            h = self.strided[i](self.pointwise[i](h), strided) + r
        return h

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """``(B, T, J, C)`` → ``(B, T, J, 3)``: convex mix of per-joint and shared heads."""
        alpha = torch.sigmoid(self.mix)[:, None]
        return alpha * self.per_joint(h) + (1 - alpha) * self.shared(h)

    def forward(self, x: torch.Tensor, strided: bool = False) -> torch.Tensor:
        """``x (B, T, J, 3)`` → ``(B, T - RF + 1, J, 3)``; ``strided``: ``(B, T / RF, J, 3)``,
        one output per receptive-field window (the paper's form; same weights and results)."""
        out = self.head(self.features(x, strided))
        if self.zero_root:
            out = torch.cat([torch.zeros_like(out[:, :, :1]), out[:, :, 1:]], dim=2)
        return out


def macs_per_frame(model: nn.Module, *, frames: int = 200) -> dict:
    """Multiply-accumulates per output frame (torch's flop counter / 2, matmuls and convs):
    ``sequence`` = one pass over a long clip (dilated form, what Lift runs), ``window`` = one
    receptive-field window per output frame (the paper's evaluation)."""
    from torch.utils.flop_counter import FlopCounterMode

    def count(t: int, **kw) -> int:
        x = torch.zeros(1, t, model.joints_in, model.features_in)
        x[..., 2] = 1.0
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model.eval()(x, **kw)
        return counter.get_total_flops() // 2

    rf = model.receptive_field()
    once = count(rf)
    return {
        "window": count(rf, strided=True),
        "sequence": (count(rf - 1 + frames) - once) / (frames - 1),
    }
