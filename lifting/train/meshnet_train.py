"""Train and evaluate the mesh net (``lifting.models.meshnet``) on the default body posed by
linear blend skinning in mocap poses (``meshnet_data``). CPU, one thread, by default.

Inputs: 2D from random virtual cameras with the MediaPipe-shaped noise of ``synth`` and, in
place of the lifter's 3D, the true camera-frame joints plus Gaussian noise (``LIFT_NOISE``):
the mesh net is trained independently of any one lifter (Pose2Mesh stops PoseNet's gradients
the same way).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..bodies.model import BodyModel
from ..models.mesh_graph import coarsen
from ..models.meshnet import MeshNet
from .meshnet_data import PooledBody, make_mesh_batch, mesh_losses, sample_frames

FORMAT_VERSION = 1


@dataclass
class MeshNetConfig:
    """Architecture and training settings (Pose2Mesh's loss weights, except ``edge`` — 1, not
    20, as our vertex loss is in metres — switched on after ``edge_after`` of the steps)."""

    out_level: int = 4
    top_level: int = 7
    channels: tuple = (64, 64, 32, 32)
    upsampling: str = "coarse_to_fine"
    batch: int = 32
    steps: int = 500
    lr: float = 1e-3
    edge_after: float = 0.2
    weights: dict = field(
        default_factory=lambda: {"vertex": 1.0, "normal": 0.1, "edge": 1.0, "joint": 1.0}
    )
    seed: int = 0


class MeshNetSetup:
    """The hierarchy, pooled body and tensors a config needs (built once per body)."""

    def __init__(self, model: BodyModel, config: MeshNetConfig):
        self.config = config
        self.levels = coarsen(model.vertices, model.faces, config.top_level, seed=config.seed)
        self.body = PooledBody(model, self.levels, config.out_level)
        out = self.levels[config.out_level]
        self.faces = torch.from_numpy(out.faces)
        self.edges = torch.from_numpy(out.edges)
        self.regressor = torch.from_numpy(self.body.regressor.astype(np.float32))

    def build(self) -> MeshNet:
        c = self.config
        torch.manual_seed(c.seed)
        return MeshNet(
            self.levels,
            c.out_level,
            c.top_level,
            channels=tuple(c.channels),
            upsampling=c.upsampling,
        )


def train(
    setup: MeshNetSetup, clips, progress=print, max_seconds: float | None = None
) -> tuple[MeshNet, list]:
    """Train a new mesh net on world mocap ``clips``; returns it and the loss history (one
    entry per step taken: fewer than ``config.steps`` if ``max_seconds`` ran out first)."""
    c = setup.config
    net = setup.build()
    opt = torch.optim.Adam(net.parameters(), lr=c.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, c.steps)
    rng = np.random.default_rng(c.seed)
    history = []
    t0 = time.perf_counter()
    for step in range(c.steps):
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            progress(f"{c.upsampling}: time budget reached after {step} steps")
            break
        batch = make_mesh_batch(setup.body, sample_frames(clips, c.batch, rng), rng)
        losses = mesh_losses(net(batch["inputs"]), batch, setup.faces, setup.edges, setup.regressor)
        weights = dict(c.weights)
        if step < c.edge_after * c.steps:
            weights["edge"] = 0.0
        total = sum(weights[k] * v for k, v in losses.items())
        opt.zero_grad()
        total.backward()
        opt.step()
        sched.step()
        history.append({k: v.item() for k, v in losses.items()})
        if (step + 1) % max(1, c.steps // 10) == 0:
            mean = {k: np.mean([h[k] for h in history[-50:]]) for k in history[-1]}
            progress(
                f"{c.upsampling} step {step + 1}/{c.steps} "
                f"vertex {mean['vertex'] * 1000:.1f} mm, joint {mean['joint'] * 1000:.1f} mm, "
                f"{time.perf_counter() - t0:.0f} s"
            )
    return net, history


def validation_set(setup: MeshNetSetup, clips, frames: int = 1000, seed: int = 123) -> dict:
    """A fixed validation set (the same for every model): ``frames`` poses of ``clips``."""
    rng = np.random.default_rng(seed)
    return make_mesh_batch(setup.body, sample_frames(clips, frames, rng), rng)


@torch.no_grad()
def evaluate(net: MeshNet, setup: MeshNetSetup, val: dict, batch: int = 100) -> dict:
    """MPVE (mm, output-level vertices) and MPJPE (mm, joints regressed from the predicted
    mesh) on a validation set, camera frame, root-relative."""
    net.eval()
    preds = torch.cat(
        [net(val["inputs"][i : i + batch]) for i in range(0, len(val["inputs"]), batch)]
    )
    net.train()
    mpve = (preds - val["vertices"]).norm(dim=-1).mean()
    joints = torch.einsum("jn,bnc->bjc", setup.regressor, preds)
    mpjpe = (joints - val["joints"]).norm(dim=-1).mean()
    return {"mpve_mm": 1000 * float(mpve), "mpjpe_mm": 1000 * float(mpjpe)}


def fit_baseline(setup: MeshNetSetup, val: dict) -> dict:
    """The same metrics for the body IK-fitted to the noisy 3D input joints (what Lift's
    Blender body does without a mesh net): the reference a mesh net should beat."""
    lifted = val["inputs"][..., 3:].numpy().astype(np.float64)
    verts, joints = setup.body.pose(lifted)
    verts = verts - joints[:, :1]
    mpve = np.linalg.norm(verts - val["vertices"].numpy(), axis=-1).mean()
    reg = np.einsum("jn,bnc->bjc", setup.body.regressor, verts)
    mpjpe = np.linalg.norm(reg - val["joints"].numpy(), axis=-1).mean()
    return {"mpve_mm": 1000 * float(mpve), "mpjpe_mm": 1000 * float(mpjpe)}


def save_weights(net: MeshNet, config: MeshNetConfig, path, card: dict) -> None:
    """Parameters as a named-array npz (no pickles) and a JSON model card next to it."""
    path = Path(path)
    arrays = {k: v.detach().numpy() for k, v in net.named_parameters()}
    np.savez_compressed(path, format_version=np.int32(FORMAT_VERSION), **arrays)
    card = {"format_version": FORMAT_VERSION, "config": asdict(config), **card}
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")


def load_weights(setup: MeshNetSetup, path) -> MeshNet:
    """A mesh net built from ``setup`` with the parameters of an npz from :func:`save_weights`."""
    net = setup.build()
    with np.load(path, allow_pickle=False) as data:
        state = {k: torch.from_numpy(data[k]) for k, _ in net.named_parameters()}
    net.load_state_dict(state, strict=False)
    return net
