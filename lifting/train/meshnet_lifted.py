"""Mesh-net samples whose 3D input is a real lifter's output, not ground truth plus noise.

The lifter validation protocol (``validate.build_validation_sets`` → ``synth.make_eval_set``:
windows of ~4 s, each through its own seeded static camera, MediaPipe-shaped 2D noise) run on
the default body posed in the clips' poses (``PooledBody.pose``: the body keeps its own bone
lengths, as in the mesh net's training data). Each window's noisy 2D goes through
:func:`lifting.inference.lift` (the product's path: pixels in, ONNX Runtime or torch, mirror
test-time augmentation), and the mesh net's inputs are built twice from the same 2D: with the
lifted 3D, and with the true 3D plus ``LIFT_NOISE`` (what the net was first trained on).
:func:`finetune` continues training on such samples of training clips.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import torch

from .. import metrics
from ..bodies.meshnet_numpy import normalise_inputs
from ..camera import unnormalize_screen
from ..inference import lift
from .meshnet_data import LIFT_NOISE, make_mesh_batch, mesh_losses, sample_frames
from .synth import make_eval_set


def window_rotation(world: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The camera rotation (3, 3) of a static-camera window: world root-relative joints
    ``world (T, 21, 3)`` → camera root-relative ``target (T, 21, 3)`` (Kabsch, no scale)."""
    a = (world - world[:, :1]).reshape(-1, 3)
    b = np.asarray(target, dtype=np.float64).reshape(-1, 3)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def _pose_clip(body, joints, stride: int):
    """The body in a clip's poses: vertices of every ``stride``-th frame (T // stride, V, 3)
    float32 (memory) and its joints at every frame (T, 21, 3), world metres."""
    verts, body_joints = body.pose(np.asarray(joints, dtype=np.float64))
    return verts[::stride].astype(np.float32), body_joints


def lifted_samples(
    body, clips, *, stride: int = 4, seed: int = 0, window: int = 120, model: str = "default"
) -> dict:
    """Samples of every ``stride``-th frame of ``clips`` (world mocap, ``.joints (T, 21, 3)``).

    Returns ``{"lifted": batch, "gt_noise": batch, "lifter_mpjpe_mm": float, "frames": int}``;
    a batch is ``{"inputs" (N, 21, 6), "vertices" (N, V, 3), "joints" (N, 21, 3)}`` torch
    float32, camera frame, root-relative metres (the layout of ``make_mesh_batch``), plus
    ``"scale" (N,)``: the least-squares factor from the true joints to the lifted ones over the
    sample's window (the size the lifter gave the body).
    """
    posed = [_pose_clip(body, c.joints, stride) for c in clips]
    body_clips = [
        SimpleNamespace(joints=j, source=getattr(c, "source", ""), action=getattr(c, "action", ""))
        for c, (_, j) in zip(clips, posed, strict=True)
    ]
    ev = make_eval_set(body_clips, window=window, seed=seed)
    rng = np.random.default_rng([seed, 2])
    keys = ("lifted", "noisy3d", "twod", "conf", "target", "vertices", "scale")
    parts = {k: [] for k in keys}
    for i, target in enumerate(ev.target):
        verts, joints = posed[ev.clip[i]]
        start, t = int(ev.start[i]), len(target)
        world = joints[start : start + t]
        rot = window_rotation(world, target)
        pick = np.flatnonzero((start + np.arange(t)) % stride == 0)
        noisy = ev.noisy[i]
        width, height = ev.size[i]
        px = unnormalize_screen(noisy[..., :2], width, height).astype(np.float64)
        px[noisy[..., 2] <= 0] = np.nan  # dropped joints, as MediaPipe reports them
        pose = lift(np.concatenate([px, noisy[..., 2:]], axis=-1), width, height, model=model)
        cam_verts = (verts[(start + pick) // stride] - world[pick, :1]) @ rot.T
        parts["vertices"].append(cam_verts)
        parts["target"].append(target[pick])
        parts["lifted"].append(pose.joints3d[pick])
        parts["noisy3d"].append(target[pick] + rng.normal(0.0, LIFT_NOISE, target[pick].shape))
        parts["twod"].append(noisy[pick, :, :2])
        parts["conf"].append(noisy[pick, :, 2])
        lifted3d = pose.joints3d.astype(np.float64)  # the window's size as the lifter sees it
        scale = (lifted3d * target).sum() / max(float(np.square(target).sum()), 1e-12)
        parts["scale"].append(np.full(len(pick), scale))
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    out = {"frames": len(cat["target"])}
    out["lifter_mpjpe_mm"] = 1000 * float(
        np.linalg.norm(cat["lifted"] - cat["target"], axis=-1).mean()
    )
    for name, three_d in (("lifted", cat["lifted"]), ("gt_noise", cat["noisy3d"])):
        out[name] = {
            "inputs": torch.from_numpy(normalise_inputs(cat["twod"], cat["conf"], three_d)),
            "vertices": torch.from_numpy(cat["vertices"].astype(np.float32)),
            "joints": torch.from_numpy(cat["target"].astype(np.float32)),
            "scale": torch.from_numpy(cat["scale"].astype(np.float32)),
        }
    return out


@torch.no_grad()
def scores(net, setup, batch: dict, chunk: int = 200) -> dict:
    """MPVE and MPJPE (mm; as ``meshnet_train.evaluate``) plus PA-MPVE (mm, each mesh aligned
    to the truth by a similarity transform: shape error without global scale/rotation)."""
    net.eval()
    preds = torch.cat(
        [net(batch["inputs"][i : i + chunk]) for i in range(0, len(batch["inputs"]), chunk)]
    )
    net.train()
    pred, true = preds.numpy().astype(np.float64), batch["vertices"].numpy().astype(np.float64)
    joints = np.einsum("jn,bnc->bjc", setup.body.regressor, pred)
    return {
        "mpve_mm": 1000 * metrics.mpjpe(pred, true),
        "mpjpe_mm": 1000 * metrics.mpjpe(joints, batch["joints"].numpy()),
        "pa_mpve_mm": 1000 * metrics.p_mpjpe(pred, true),
    }


def finetune(
    setup,
    net,
    lifted: dict,
    clips,
    *,
    steps: int,
    max_seconds=None,
    lr=3e-4,
    match_scale: bool = False,
    progress=print,
):
    """Continue training ``net`` (warm start) with half of every batch from ``lifted`` (samples
    with a real lifter's 3D, :func:`lifted_samples` on training clips) and half fresh ground
    truth + noise batches of ``clips`` (``make_mesh_batch``), same losses as training.
    ``match_scale``: the lifter-output samples' targets are scaled to the size the lifter gave
    the body (``scale``), so the net learns shape and pose, not the one body's size.
    Returns the loss history (one entry per step taken)."""
    c = setup.config
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    rng = np.random.default_rng(c.seed + 1)
    half = c.batch // 2
    history, t0 = [], time.perf_counter()
    for step in range(steps):
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            progress(f"fine-tune: time budget reached after {step} steps")
            break
        fresh = make_mesh_batch(setup.body, sample_frames(clips, half, rng), rng)
        pick = torch.from_numpy(rng.choice(len(lifted["inputs"]), c.batch - half))
        factor = lifted["scale"][pick, None, None] if match_scale else 1.0
        batch = {
            "inputs": torch.cat([fresh["inputs"], lifted["inputs"][pick]]),
            "vertices": torch.cat([fresh["vertices"], factor * lifted["vertices"][pick]]),
            "joints": torch.cat([fresh["joints"], factor * lifted["joints"][pick]]),
        }
        losses = mesh_losses(net(batch["inputs"]), batch, setup.faces, setup.edges, setup.regressor)
        total = sum(c.weights[k] * v for k, v in losses.items())
        opt.zero_grad()
        total.backward()
        opt.step()
        sched.step()
        history.append({k: v.item() for k, v in losses.items()})
        if (step + 1) % max(1, steps // 10) == 0:
            vertex = np.mean([h["vertex"] for h in history[-50:]]) * 1000
            seconds = time.perf_counter() - t0
            progress(f"fine-tune step {step + 1}/{steps} vertex {vertex:.1f} mm, {seconds:.0f} s")
    return history
