"""Validation protocol: windows of a few seconds, each through its own random camera.

:func:`build_validation_set` turns validation clips into fixed (seeded) synthetic 2D inputs,
clean or with the noise model; :func:`score` runs a lifter over every window as a clip of its
own (edge padding, mirror test-time augmentation) and returns MPJPE, P-MPJPE, N-MPJPE (mm) and
MPJVE (mm/frame) overall, per source and per action. Frames are weighted equally.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import metrics
from ..models.sequence import predict_sequence


@dataclass
class ValGroup:
    """Windows of one length: ``inputs (N, T, J, 3)``, ``target (N, T, J, 3)`` root-relative
    camera metres, ``root (N, T, 3)`` camera metres, ``sources``/``actions`` per window."""

    inputs: np.ndarray
    target: np.ndarray
    root: np.ndarray
    sources: list = field(default_factory=list)
    actions: list = field(default_factory=list)


def build_validation_sets(
    clips: list, *, seed: int = 0, window: int = 120
) -> dict[str, list[ValGroup]]:
    """``{"clean": groups, "noisy": groups}``: every validation frame once, in windows of about
    ``window`` frames (4 s at 30 fps), each window through its own seeded static camera (the
    same camera for the clean and the noisy variant; :func:`lifting.train.synth.make_eval_set`).
    Windows of equal length are grouped so they run as one batch.
    """
    from .synth import make_eval_set

    ev = make_eval_set(clips, window=window, seed=seed)
    by_len = defaultdict(list)
    for i, t in enumerate(ev.target):
        by_len[len(t)].append(i)
    out = {}
    for kind in ("clean", "noisy"):
        inputs = getattr(ev, kind)
        out[kind] = [
            ValGroup(
                inputs=np.stack([inputs[i] for i in idx]).astype(np.float32),
                target=np.stack([ev.target[i] for i in idx]).astype(np.float32),
                root=np.stack([ev.root[i] for i in idx]).astype(np.float32),
                sources=[str(ev.source[i]) for i in idx],
                actions=[str(ev.action[i]) for i in idx],
            )
            for _, idx in sorted(by_len.items())
        ]
    return out


def predict_groups(model, groups: list[ValGroup], *, mirror: bool = True, batch: int = 64):
    """Predictions ``[(N, T, J_out, 3)]`` of ``model`` for each group (numpy, float32)."""
    outs = []
    for g in groups:
        parts = []
        for s in range(0, len(g.inputs), batch):
            x = torch.from_numpy(g.inputs[s : s + batch])
            parts.append(predict_sequence(model, x, mirror=mirror).numpy())
        outs.append(np.concatenate(parts))
    return outs


def _window_errors(pred: np.ndarray, target: np.ndarray) -> dict:
    """Per-window sums for one window ``(T, J, 3)`` in metres → dict of frame-weighted sums."""
    t = len(target)
    out = {
        "frames": t,
        "mpjpe": metrics.mpjpe(pred, target) * 1000 * t,
        "p_mpjpe": metrics.p_mpjpe(pred, target) * 1000 * t,
        "n_mpjpe": metrics.n_mpjpe(pred, target) * 1000 * t,
        "vel_frames": max(t - 1, 0),
        "mpjve": metrics.mpjve(pred, target) * 1000 * (t - 1) if t > 1 else 0.0,
    }
    return out


def _summarise(sums: dict) -> dict:
    f, v = sums["frames"], sums["vel_frames"]
    return {
        "frames": int(f),
        "mpjpe": sums["mpjpe"] / f,
        "p_mpjpe": sums["p_mpjpe"] / f,
        "n_mpjpe": sums["n_mpjpe"] / f,
        "mpjve": sums["mpjve"] / v if v else float("nan"),
    }


def score(model, groups: list[ValGroup], *, mirror: bool = True, preds=None) -> dict:
    """Metrics of a pose model on validation groups.

    Returns ``{"all": {...}, "source": {name: {...}}, "action": {name: {...}}}`` where each
    ``{...}`` has ``frames, mpjpe, p_mpjpe, n_mpjpe`` (mm) and ``mpjve`` (mm/frame).
    """
    preds = predict_groups(model, groups, mirror=mirror) if preds is None else preds
    keys = ("frames", "mpjpe", "p_mpjpe", "n_mpjpe", "vel_frames", "mpjve")
    total = dict.fromkeys(keys, 0.0)
    per = {
        "source": defaultdict(lambda: dict.fromkeys(keys, 0.0)),
        "action": defaultdict(lambda: dict.fromkeys(keys, 0.0)),
    }
    for g, p in zip(groups, preds, strict=True):
        for i in range(len(g.inputs)):
            e = _window_errors(p[i], g.target[i])
            for bucket in (total, per["source"][g.sources[i]], per["action"][g.actions[i]]):
                for k in keys:
                    bucket[k] += e[k]
    return {
        "all": _summarise(total),
        "source": {k: _summarise(v) for k, v in sorted(per["source"].items())},
        "action": {k: _summarise(v) for k, v in sorted(per["action"].items())},
    }


def score_trajectory(model, groups: list[ValGroup], *, mirror: bool = True) -> dict:
    """Root position error of a trajectory model: mean distance (mm) and mean relative depth
    error (|Δz| / z, percent)."""
    dist, rel, n = 0.0, 0.0, 0
    for g, p in zip(groups, predict_groups(model, groups, mirror=mirror), strict=True):
        pred = p[:, :, 0]
        dist += float(np.linalg.norm(pred - g.root, axis=-1).sum())
        rel += float((np.abs(pred[..., 2] - g.root[..., 2]) / g.root[..., 2]).sum())
        n += pred.shape[0] * pred.shape[1]
    return {"root_error_mm": 1000 * dist / n, "depth_error_pct": 100 * rel / n}
