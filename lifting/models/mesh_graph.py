"""Graph hierarchy of a body mesh for the mesh net (Pose2Mesh, Choi et al. 2020), NumPy only.

The template mesh is coarsened repeatedly by heavy-edge matching (Graclus' normalised-cut
rule: each unmatched vertex, in random order, pairs with the unmatched neighbour ``j`` that
maximises ``w_ij (1/d_i + 1/d_j)``; unmatched vertices stay single), so each level has about
half the vertices of the one below. A coarse vertex is the mean of its cluster; its faces are
the fine faces mapped through the clusters (degenerate and duplicate ones dropped). Going
back up a level is nearest-neighbour upsampling: a fine vertex copies its cluster's features
(``parent`` index). Unlike Pose2Mesh no fake nodes are added: upsampling by ``parent`` does
not need levels of exactly half the size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import BONES, LEFT, RIGHT


@dataclass
class MeshLevel:
    """One level: ``vertices (N, 3)`` template positions, ``faces (F, 3)``, ``edges (E, 2)``
    (undirected, i < j), and ``parent (N_finer,)``: the cluster (a vertex of this level) of
    each vertex of the level below (None for the finest level)."""

    vertices: np.ndarray
    faces: np.ndarray
    edges: np.ndarray
    parent: np.ndarray | None = None


def face_edges(faces: np.ndarray) -> np.ndarray:
    """Unique undirected edges (E, 2), i < j, of triangles ``faces (F, 3)``."""
    f = np.asarray(faces, dtype=np.int64)
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    e = np.sort(e, axis=1)
    e = e[e[:, 0] != e[:, 1]]
    return np.unique(e, axis=0)


def heavy_edge_matching(num: int, edges: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cluster index (num,) of every vertex after one round of heavy-edge matching."""
    edges = np.asarray(edges, dtype=np.int64)
    both = np.concatenate([edges, edges[:, ::-1]])
    order = np.argsort(both[:, 0], kind="stable")
    src, dst = both[order, 0], both[order, 1]
    start = np.searchsorted(src, np.arange(num + 1))
    degree = np.diff(start).astype(np.float64)
    cluster = np.full(num, -1, dtype=np.int64)
    count = 0
    for i in rng.permutation(num):
        if cluster[i] >= 0:
            continue
        cluster[i] = count
        nbrs = dst[start[i] : start[i + 1]]
        free = nbrs[cluster[nbrs] < 0]
        if len(free):
            score = 1.0 / degree[i] + 1.0 / degree[free]
            cluster[free[np.argmax(score)]] = count
        count += 1
    return cluster


def coarsen(vertices: np.ndarray, faces: np.ndarray, levels: int, seed: int = 0) -> list:
    """``levels + 1`` :class:`MeshLevel`\\ s: the mesh itself, then each coarsened once more."""
    rng = np.random.default_rng(seed)
    verts = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    out = [MeshLevel(verts, faces, face_edges(faces))]
    for _ in range(levels):
        fine = out[-1]
        parent = heavy_edge_matching(len(fine.vertices), fine.edges, rng)
        n = int(parent.max()) + 1
        counts = np.bincount(parent, minlength=n).astype(np.float64)
        coarse = np.zeros((n, 3))
        np.add.at(coarse, parent, fine.vertices)
        coarse /= counts[:, None]
        f = parent[fine.faces]
        keep = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
        f = f[keep]
        f = f[np.unique(np.sort(f, axis=1), axis=0, return_index=True)[1]]
        e = np.sort(parent[fine.edges], axis=1)
        e = np.unique(e[e[:, 0] != e[:, 1]], axis=0)
        out.append(MeshLevel(coarse, f, e, parent))
    return out


def pooling(levels: list, level: int) -> np.ndarray:
    """Cluster index (V,) at ``level`` of every vertex of the finest level."""
    idx = np.arange(len(levels[0].vertices))
    for lv in levels[1 : level + 1]:
        idx = lv.parent[idx]
    return idx


def upsample_index(levels: list, coarse: int, fine: int) -> np.ndarray:
    """Nearest-neighbour upsampling (N_fine,) from level ``coarse`` to level ``fine`` < coarse:
    the ancestor at ``coarse`` of every vertex of ``fine``."""
    idx = np.arange(len(levels[fine].vertices))
    for lv in levels[fine + 1 : coarse + 1]:
        idx = lv.parent[idx]
    return idx


def skeleton_edges() -> np.ndarray:
    """Edges (E, 2) of the lift skeleton graph: the bones plus left/right joint pairs."""
    pairs = list(BONES) + list(zip(LEFT, RIGHT, strict=True))
    return np.unique(np.sort(np.array(pairs), axis=1), axis=0)


def scaled_laplacian(num: int, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rescaled normalised Laplacian ``L~ = 2 L / λmax - I`` with λmax taken as 2, i.e.
    ``-D^-1/2 A D^-1/2``, as COO ``indices (2, 2E)`` and ``values (2E,)`` float32."""
    e = np.asarray(edges, dtype=np.int64)
    rows = np.concatenate([e[:, 0], e[:, 1]])
    cols = np.concatenate([e[:, 1], e[:, 0]])
    degree = np.bincount(rows, minlength=num).astype(np.float64)
    values = -1.0 / np.sqrt(np.maximum(degree[rows] * degree[cols], 1e-12))
    return np.stack([rows, cols]), values.astype(np.float32)
