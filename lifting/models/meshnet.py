"""Mesh net after Pose2Mesh's MeshNet (Choi et al., ECCV 2020): 2D + lifted 3D joints →
body mesh vertices, by Chebyshev graph convolutions (K = 3) over a coarse-to-fine hierarchy
of the body mesh (``mesh_graph.coarsen``).

Input per joint (B, 21, 6): pelvis-centred 2D scaled by the 2D body size (2), its confidence
(1) and the lifted 3D pose, camera frame, root-relative metres (3; gradients stopped by the
caller) — ``lifting.bodies.meshnet_numpy.normalise_inputs``. The shipped extension runs the
same net without torch: ``lifting.bodies.meshnet_numpy.MeshNetNumpy``. Output (B, N, 3): the
vertices of the output level of the hierarchy (a decimated template), camera frame,
root-relative metres.

Layout: two Cheb convs on the skeleton graph (bones + left/right pairs), a fully connected
map over nodes (channels shared) from the 21 joints to the coarsest mesh level, then residual
blocks of two Cheb convs per level with ×~2 nearest-neighbour upsampling between levels
(``"coarse_to_fine"``), or — the paper's ablation — one upsampling straight from the coarsest
level to the output level with all blocks there (``"direct"``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..skeleton import NUM_JOINTS
from .mesh_graph import scaled_laplacian, skeleton_edges, upsample_index

UPSAMPLING = ("coarse_to_fine", "direct")


def sparse_laplacian(num: int, edges: np.ndarray) -> torch.Tensor:
    """The rescaled Laplacian of a graph as a torch sparse COO tensor (num, num)."""
    idx, val = scaled_laplacian(num, edges)
    lap = torch.sparse_coo_tensor(
        torch.from_numpy(idx), torch.from_numpy(val), (num, num), check_invariants=True
    )
    return lap.coalesce()


class ChebConv(nn.Module):
    """Chebyshev graph convolution of order K, ``Σ_k T_k(L~) X W_k``, on node-major features
    (N, B, C) (so the sparse products need no copies)."""

    def __init__(self, cin: int, cout: int, k: int = 3):
        super().__init__()
        self.k = k
        self.weight = nn.Parameter(torch.empty(k, cin, cout))
        self.bias = nn.Parameter(torch.zeros(cout))
        for i in range(k):
            nn.init.xavier_uniform_(self.weight.data[i])

    def forward(self, x: torch.Tensor, lap: torch.Tensor) -> torch.Tensor:
        n, b, c = x.shape
        out = x @ self.weight[0] + self.bias
        prev, cur = None, x
        for i in range(1, self.k):
            nxt = torch.sparse.mm(lap, cur.reshape(n, b * c)).view(n, b, c)
            if prev is not None:
                nxt = 2.0 * nxt - prev
            out = out + nxt @ self.weight[i]
            prev, cur = cur, nxt
        return out


class ResBlock(nn.Module):
    """``x + Cheb(ReLU(LN(Cheb(ReLU(LN(x))))))``, a linear shortcut when channels change."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(cin)
        self.conv1 = ChebConv(cin, cout)
        self.norm2 = nn.LayerNorm(cout)
        self.conv2 = ChebConv(cout, cout)
        self.skip = nn.Linear(cin, cout) if cin != cout else nn.Identity()

    def forward(self, x, lap):
        h = self.conv1(torch.relu(self.norm1(x)), lap)
        h = self.conv2(torch.relu(self.norm2(h)), lap)
        return self.skip(x) + h


class MeshNet(nn.Module):
    """Joints (B, 21, 6) → output-level vertices (B, N_out, 3). See the module docstring.

    ``levels``: the hierarchy (``coarsen``); ``out_level`` the level predicted, ``top_level``
    the coarsest level the joints map onto; ``channels`` per block from coarse to fine (one
    block per level from ``top_level`` down to ``out_level``).
    """

    def __init__(
        self,
        levels: list,
        out_level: int,
        top_level: int,
        *,
        channels: tuple[int, ...] = (64, 64, 32, 32),
        upsampling: str = "coarse_to_fine",
        in_features: int = 6,
    ):
        super().__init__()
        if upsampling not in UPSAMPLING:
            raise ValueError(f"upsampling must be one of {UPSAMPLING}, not {upsampling!r}")
        if len(channels) != top_level - out_level + 1:
            raise ValueError("one channel count per level from top_level down to out_level")
        self.upsampling = upsampling
        self.num_out = len(levels[out_level].vertices)
        self.register_buffer("skel_lap", sparse_laplacian(NUM_JOINTS, skeleton_edges()))
        self.joint_convs = nn.ModuleList([ChebConv(in_features, 64), ChebConv(64, channels[0])])
        self.to_mesh = nn.Linear(NUM_JOINTS, len(levels[top_level].vertices))
        block_levels = list(range(top_level, out_level - 1, -1))
        if upsampling == "direct":
            block_levels = [out_level] * len(block_levels)
        self.block_levels = block_levels
        for lv in set(block_levels):
            lap = sparse_laplacian(len(levels[lv].vertices), levels[lv].edges)
            self.register_buffer(f"lap{lv}", lap)
        self._has_up = []
        prev = top_level
        for i, lv in enumerate(block_levels):
            self._has_up.append(lv != prev)
            if lv != prev:
                self.register_buffer(f"up{i}", torch.from_numpy(upsample_index(levels, prev, lv)))
            prev = lv
        chans = [channels[0], *channels]
        self.blocks = nn.ModuleList(
            [ResBlock(chans[i], chans[i + 1]) for i in range(len(block_levels))]
        )
        self.head_norm = nn.LayerNorm(channels[-1])
        self.head = ChebConv(channels[-1], 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(0, 1)  # node-major: 21, B, F
        for conv in self.joint_convs:
            h = torch.relu(conv(h, self.skel_lap))
        h = self.to_mesh(h.permute(1, 2, 0)).permute(2, 0, 1)  # N_top, B, C
        for i, (block, lv) in enumerate(zip(self.blocks, self.block_levels, strict=True)):
            if self._has_up[i]:
                h = h[getattr(self, f"up{i}")]
            h = block(h, getattr(self, f"lap{lv}"))
        h = torch.relu(self.head_norm(h))
        out = self.head(h, getattr(self, f"lap{self.block_levels[-1]}"))
        return out.transpose(0, 1)  # B, N_out, 3
