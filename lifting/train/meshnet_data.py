"""Training data and losses for the mesh net: the body posed by linear blend skinning in mocap
poses, seen by random virtual cameras (``synth.sample_cameras``/``render_inputs``).

Skinning is done directly at the mesh net's output level: LBS is linear in the rest vertices,
so the mean of a cluster's skinned vertices is ``Σ_b P_b m_cb + w_cb p_b`` with the cluster
means ``m_cb = mean(w_vb R_bᵀ (v - h_b))`` and ``w_cb = mean(w_vb)`` precomputed — exactly
the decimated template's vertices of the full-resolution skinned body, at its cost.
"""

from __future__ import annotations

import numpy as np
import torch

from ..bodies.fit import bone_joints
from ..bodies.meshnet_infer import pooled_regressor
from ..bodies.meshnet_numpy import normalise_inputs
from ..bodies.model import BodyModel
from ..camera import sample_cameras
from ..models.mesh_graph import pooling
from ..retarget.solve import forward_kinematics, solve
from .synth import render_inputs

LIFT_NOISE = 0.03  # metres per coordinate: stand-in for the lifter's 3D error on the inputs


class PooledBody:
    """The body skinned at one level of its mesh hierarchy (see the module docstring)."""

    def __init__(self, model: BodyModel, levels: list, level: int):
        self.rest = model.rest_skeleton()
        cluster = pooling(levels, level)
        n = int(cluster.max()) + 1
        counts = np.bincount(cluster, minlength=n).astype(np.float64)
        w = model.dense_weights()  # V, B
        verts = model.vertices.astype(np.float64)
        local = np.einsum("bji,vbj->vbi", self.rest.matrices, verts[:, None] - self.rest.heads)
        self.local = np.zeros((n, w.shape[1], 3))
        np.add.at(self.local, cluster, w[..., None] * local)
        self.local /= counts[:, None, None]
        self.mass = np.zeros((n, w.shape[1]))
        np.add.at(self.mass, cluster, w)
        self.mass /= counts[:, None]
        self.regressor = pooled_regressor(model, levels, level)

    def pose(self, joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pooled vertices (T, N, 3) and the body's lift joints (T, 21, 3) in the poses of
        world ``joints (T, 21, 3)`` (the body keeps its own bone lengths)."""
        solved = solve(np.asarray(joints, dtype=np.float64), self.rest)
        heads, _, orient = forward_kinematics(self.rest, solved.rotations)
        verts = np.einsum("tbij,nbj->tni", orient, self.local)
        verts += np.einsum("nb,tbi->tni", self.mass, heads)
        return verts, bone_joints(self.rest, heads, orient)


def sample_frames(clips, count: int, rng) -> np.ndarray:
    """``count`` world poses (count, 21, 3) drawn uniformly over the frames of ``clips``."""
    sizes = np.array([len(c.joints) for c in clips])
    picks = rng.choice(sizes.sum(), size=count)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    clip = np.searchsorted(starts, picks, side="right") - 1
    return np.stack([clips[c].joints[p - starts[c]] for c, p in zip(clip, picks, strict=True)])


def make_mesh_batch(body: PooledBody, poses: np.ndarray, rng, noise: bool = True) -> dict:
    """Inputs (B, 21, 6), target vertices (B, N, 3) and joints (B, 21, 3) — camera frame,
    root-relative metres — for world ``poses (B, 21, 3)``, each under its own random camera."""
    verts, joints = body.pose(poses)
    windows = joints[:, None]
    cams = sample_cameras(windows, rng, follow_p=0.0)
    rendered = render_inputs(windows, cams, rng, noise=noise)
    target = rendered["target"][:, 0].astype(np.float64)
    pelvis = joints[:, :1]
    cam_verts = np.einsum("bij,bnj->bni", cams["R"], verts - pelvis)
    lifted = target + (rng.normal(0.0, LIFT_NOISE, target.shape) if noise else 0.0)
    inputs = normalise_inputs(
        rendered["inputs"][:, 0, :, :2], rendered["inputs"][:, 0, :, 2], lifted
    )
    return {
        "inputs": torch.from_numpy(inputs),
        "vertices": torch.from_numpy(cam_verts.astype(np.float32)),
        "joints": torch.from_numpy(target.astype(np.float32)),
    }


def mesh_losses(pred, batch, faces, edges, regressor) -> dict:
    """Pose2Mesh's losses (unweighted), all on (B, N, 3) metres: ``vertex`` L1, ``normal``
    (|cos| between predicted face edges and the true face normal), ``edge`` (L1 of edge
    lengths) and ``joint`` (L1 of the joints regressed from the predicted mesh)."""
    gt = batch["vertices"]
    out = {"vertex": (pred - gt).abs().mean()}
    a, b, c = (faces[:, i] for i in range(3))
    normal = torch.nn.functional.normalize(
        torch.cross(gt[:, b] - gt[:, a], gt[:, c] - gt[:, a], dim=-1), dim=-1
    )
    cos = []
    for i, j in ((a, b), (b, c), (c, a)):
        edge = torch.nn.functional.normalize(pred[:, j] - pred[:, i], dim=-1)
        cos.append((edge * normal).sum(-1).abs())
    out["normal"] = torch.stack(cos).mean()
    pe = (pred[:, edges[:, 0]] - pred[:, edges[:, 1]]).norm(dim=-1)
    ge = (gt[:, edges[:, 0]] - gt[:, edges[:, 1]]).norm(dim=-1)
    out["edge"] = (pe - ge).abs().mean()
    out["joint"] = (torch.einsum("jn,bnc->bjc", regressor, pred) - batch["joints"]).abs().mean()
    return out
