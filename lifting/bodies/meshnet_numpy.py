"""The mesh net's inputs and forward pass in NumPy, for the shipped extension (no torch).

Same maths as :class:`lifting.models.meshnet.MeshNet` (tested equal within 1e-4 m on real
inputs in tests/lifting/test_meshnet.py), from the same weights npz and the same hierarchy
(``mesh_graph.coarsen`` of the default body, seeded). The sparse Laplacian products of the
Chebyshev convolutions are a padded neighbour list per node (ELL format) and whole-row
gathers: no scipy, no torch. Features are node-major ``(N, B, C)`` float32 as in the torch model.
"""

from __future__ import annotations

import numpy as np

from ..models.mesh_graph import scaled_laplacian, skeleton_edges, upsample_index
from ..skeleton import NUM_JOINTS

LAYER_NORM_EPS = 1e-5  # torch.nn.LayerNorm's default


def normalise_inputs(xy: np.ndarray, conf: np.ndarray, lifted: np.ndarray) -> np.ndarray:
    """Mesh-net inputs (..., 21, 6) from screen 2D ``xy (..., 21, 2)`` (any units, y down),
    confidences ``(..., 21)`` and lifted 3D ``(..., 21, 3)`` root-relative metres.

    2D is centred on the pelvis and divided by the 2D body size (the largest joint extent), so
    the camera's distance and the frame size do not matter.
    """
    xy = np.asarray(xy, dtype=np.float64)
    centred = xy - xy[..., :1, :]
    size = np.ptp(xy, axis=-2).max(axis=-1)[..., None, None]
    scaled = centred / np.maximum(size, 1e-6)
    feats = [scaled, np.asarray(conf, dtype=np.float64)[..., None], np.asarray(lifted)]
    return np.concatenate(feats, axis=-1).astype(np.float32)


class SparseLaplacian:
    """The rescaled Laplacian ``L~`` of a graph with ``num`` nodes, stored per row as its
    neighbours ``(num, D)`` and values ``(num, D)`` (D = the largest degree; short rows point
    at an extra zero node with value 0), so ``L~ @ x`` is D gathers of whole feature rows."""

    def __init__(self, num: int, edges: np.ndarray):
        idx, val = scaled_laplacian(num, edges)
        rows, cols = idx
        order = np.lexsort((cols, rows))
        rows, cols, val = rows[order], cols[order], val[order]
        degree = np.bincount(rows, minlength=num)
        slot = np.arange(len(rows)) - np.repeat(np.cumsum(degree) - degree, degree)
        width = int(degree.max()) if len(rows) else 0
        self.neighbours = np.full((num, width), num, dtype=np.int64)  # num: the zero node
        self.values = np.zeros((num, width), dtype=np.float32)
        self.neighbours[rows, slot] = cols
        self.values[rows, slot] = val
        self.num = num

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        """``L~ @ x`` for node-major ``x (N, ...)``."""
        flat = x.reshape(self.num, -1)
        padded = np.concatenate([flat, np.zeros((1, flat.shape[1]), flat.dtype)])
        out, tmp = np.zeros_like(flat), np.empty_like(flat)
        for d in range(self.values.shape[1]):
            np.take(padded, self.neighbours[:, d], axis=0, out=tmp)
            tmp *= self.values[:, d, None]
            out += tmp
        return out.reshape(x.shape)


def dense(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x (..., Cin) @ weight (Cin, Cout)`` as one 2-D product (NumPy's stacked matmul is
    many times slower on (N, B, C) features)."""
    out = np.ascontiguousarray(x).reshape(-1, x.shape[-1]) @ weight
    return out.reshape((*x.shape[:-1], weight.shape[1]))


def cheb_conv(x: np.ndarray, lap: SparseLaplacian, weight: np.ndarray, bias: np.ndarray):
    """``Σ_k T_k(L~) x W_k + b`` for ``x (N, B, Cin)``, ``weight (K, Cin, Cout)``."""
    out = dense(x, weight[0]) + bias
    prev, cur = None, x
    for k in range(1, len(weight)):
        nxt = lap @ cur
        if prev is not None:
            nxt = 2.0 * nxt - prev
        out += dense(nxt, weight[k])
        prev, cur = cur, nxt
    return out


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """LayerNorm over the last axis (biased variance, as torch)."""
    mean = x.mean(axis=-1, keepdims=True)
    var = np.square(x - mean).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * weight + bias


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


class MeshNetNumpy:
    """Joints ``(B, 21, 6)`` float32 → output-level vertices ``(B, N_out, 3)`` float32, camera
    frame, root-relative metres. ``params``: the torch model's named parameters as arrays;
    ``config``: its card's ``config`` (``out_level``, ``top_level``, ``upsampling``)."""

    def __init__(self, levels: list, config: dict, params: dict):
        self.p = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
        out_level, top_level = int(config["out_level"]), int(config["top_level"])
        block_levels = list(range(top_level, out_level - 1, -1))
        if config.get("upsampling", "coarse_to_fine") == "direct":
            block_levels = [out_level] * len(block_levels)
        self.block_levels = block_levels
        self.skel_lap = SparseLaplacian(NUM_JOINTS, skeleton_edges())
        self.laps = {
            lv: SparseLaplacian(len(levels[lv].vertices), levels[lv].edges)
            for lv in set(block_levels)
        }
        self.up, prev = [], top_level
        for lv in block_levels:
            self.up.append(upsample_index(levels, prev, lv) if lv != prev else None)
            prev = lv
        self.num_out = len(levels[out_level].vertices)

    def _block(self, i: int, h: np.ndarray, lap: SparseLaplacian) -> np.ndarray:
        p, name = self.p, f"blocks.{i}"
        x = relu(layer_norm(h, p[f"{name}.norm1.weight"], p[f"{name}.norm1.bias"]))
        x = cheb_conv(x, lap, p[f"{name}.conv1.weight"], p[f"{name}.conv1.bias"])
        x = relu(layer_norm(x, p[f"{name}.norm2.weight"], p[f"{name}.norm2.bias"]))
        x = cheb_conv(x, lap, p[f"{name}.conv2.weight"], p[f"{name}.conv2.bias"])
        if f"{name}.skip.weight" in p:
            h = dense(h, p[f"{name}.skip.weight"].T) + p[f"{name}.skip.bias"]
        return h + x

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        p = self.p
        h = np.ascontiguousarray(np.asarray(inputs, dtype=np.float32).transpose(1, 0, 2))
        for i in range(2):
            w, b = p[f"joint_convs.{i}.weight"], p[f"joint_convs.{i}.bias"]
            h = relu(cheb_conv(h, self.skel_lap, w, b))  # 21, B, C
        h = np.einsum("jbc,nj->nbc", h, p["to_mesh.weight"]) + p["to_mesh.bias"][:, None, None]
        for i, lv in enumerate(self.block_levels):
            if self.up[i] is not None:
                h = h[self.up[i]]
            h = self._block(i, h, self.laps[lv])
        h = relu(layer_norm(h, p["head_norm.weight"], p["head_norm.bias"]))
        out = cheb_conv(h, self.laps[self.block_levels[-1]], p["head.weight"], p["head.bias"])
        return np.ascontiguousarray(out.transpose(1, 0, 2))
