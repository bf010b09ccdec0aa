"""The lift skeleton as a graph, and per-joint input features for the graph and volumetric lifters.

Adjacency follows the 2s-AGCN / GLA-GCN convention: three subsets over the 21 lift joints
(:mod:`lifting.skeleton`), ``A[0]`` self-links (identity), ``A[1]`` inward links (child → parent,
towards the pelvis), ``A[2]`` outward links (parent → child), each column-normalised so a node
averages what flows into it. A graph convolution aggregates ``y[w] = Σ_v x[v] · A[v, w]``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..skeleton import BONES, NUM_JOINTS
from .tcn import centre_and_scale

NODE_FEATURES = 6  # x, y (centred, body-size normalised), confidence, centre x, y, log size


def column_normalize(a: np.ndarray) -> np.ndarray:
    """Divide each column of ``a (V, V)`` by its sum (columns summing to 0 stay 0)."""
    s = a.sum(axis=0, keepdims=True)
    return np.divide(a, s, out=np.zeros_like(a), where=s > 0)


def adjacency_subsets(
    bones: tuple[tuple[int, int], ...] = BONES, joints: int = NUM_JOINTS
) -> np.ndarray:
    """``(3, V, V)`` float32: self, inward (child → parent), outward (parent → child) links,
    each column-normalised. ``bones`` are ``(child, parent)`` pairs."""
    inward = np.zeros((joints, joints), np.float64)
    for child, parent in bones:
        inward[child, parent] = 1.0
    return np.stack([np.eye(joints), column_normalize(inward), column_normalize(inward.T)]).astype(
        np.float32
    )


def node_features(x: torch.Tensor) -> torch.Tensor:
    """Per-joint features ``(B, T, J, 3)`` normalised 2D + confidence → ``(B, T, J, 6)``.

    Per frame, positions are taken relative to the pelvis (joint 0; the mean of the visible
    joints when the pelvis is missing) and divided by the 2D body size (RMS distance of the
    visible joints from that centre); missing joints (confidence 0) stay at 0. Every node also
    carries the frame's centre (2) and log body size (1), so the absolute image position and
    scale (which tell the depth and the view) are not lost.
    """
    rel, conf, centre, scale = centre_and_scale(x)
    frame = torch.cat([centre, torch.log(scale)], dim=-1).expand(-1, -1, x.shape[2], -1)
    return torch.cat([rel, conf, frame], dim=-1)
