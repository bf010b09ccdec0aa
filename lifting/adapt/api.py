"""``adapt()``: adapt a bundled lifter to one clip's 2D keypoints, cached per clip;
``lift_adapted()``: lift with the adapted pair.

Needs PyTorch (the extension's ONNX-only install cannot adapt: :func:`lifting.adapt.
torch_available`). The supervised batches come from the mocap training split
(``../shared/mocap`` next to the repository, or ``mocap_dir``); without it the adaptation
falls back to an L2 pull towards the starting weights (:class:`~.loop.AdaptConfig`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AdaptationError, MocapDataError
from ..progress import CancelToken, ProgressFn, check_cancel, no_progress
from . import store
from .clips import AdaptClip
from .loop import AdaptConfig, Adapter, backprojection_error

MIN_BUDGET_S = 1.0
SETUP_SHARE = 0.1  # progress share of loading models, mocap and the clip


@dataclass
class AdaptedModel:
    """An adapted lifter pair: ``directory`` (its cache folder), ``name`` (the pose model in
    it; load with ``registry.load_model(name, directory)``), ``summary`` (settings, before/after
    back-projection error, steps, seconds) and ``cached`` (True if found, not computed)."""

    directory: Path
    name: str
    summary: dict
    cached: bool = False


def read_clip(keypoints) -> dict:
    """``{"lift2d", "width", "height", "fps"}`` from a Track2D, an npz path (a keypoints file of
    ``python -m lifting keypoints`` or an h36m17 file, as ``python -m lifting lift`` reads) or
    such a dict."""
    if isinstance(keypoints, dict):
        return keypoints
    if isinstance(keypoints, (str, Path)):
        from ..inference_cli import read_keypoints

        return read_keypoints(keypoints)
    return {
        "lift2d": keypoints.lift2d,
        "width": keypoints.width,
        "height": keypoints.height,
        "fps": keypoints.fps,
    }


def load_source_clips(fps: float, mocap_dir=None) -> list | None:
    """The mocap training split for the supervised batches, or None if it is not available."""
    from ..mocap.dataset import load_split

    try:
        return load_split("train", fps=fps, mocap_dir=mocap_dir)
    except MocapDataError:
        return None


def adapt(
    model_name: str,
    keypoints,
    budget_s: float,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    *,
    focal_px: float | None = None,
    config: AdaptConfig | None = None,
    cache_dir=None,
    mocap_dir=None,
) -> AdaptedModel:
    """Adapt bundled model ``model_name`` (and its trajectory model) to ``keypoints`` for about
    ``budget_s`` seconds of training; returns the cached :class:`AdaptedModel`.

    ``keypoints``: Track2D, npz path or dict (:func:`read_clip`); ``focal_px``: the camera's
    focal length in pixels (None: the 60° guess the world stage uses). A second call with the
    same model, clip and settings returns the cached result at once. Raises Cancelled (nothing
    is written), AdaptationError, ClipTooShortError.
    """
    from ..models import registry

    if not budget_s or budget_s < MIN_BUDGET_S:
        raise AdaptationError(
            f"The adaptation budget must be at least {MIN_BUDGET_S:g} s; got {budget_s}."
        )
    config = config or AdaptConfig()
    kp = read_clip(keypoints)
    name = registry.resolve(model_name)
    card = registry.load_card(name)
    traj_name = card.get("trajectory_model")
    if not traj_name:
        raise AdaptationError(
            f"Model {name!r} has no trajectory model; adaptation needs one (use 'default')."
        )
    traj_card = registry.load_card(traj_name)
    clip = AdaptClip.from_keypoints(
        kp["lift2d"],
        kp["width"],
        kp["height"],
        fps=kp.get("fps"),
        model_fps=float(card.get("fps") or 30.0),
        focal_px=focal_px,
    )
    if len(clip.inputs) < registry.min_frames(card):
        from ..errors import ClipTooShortError

        raise ClipTooShortError(
            f"Adapting {name} needs at least {registry.min_frames(card)} frames; the clip has "
            f"{len(clip.inputs)}. Choose a longer frame range."
        )
    settings = {"budget_s": float(budget_s), "f_n": clip.f_n, **config.to_dict()}
    key = store.clip_key(card, traj_card, clip.inputs, settings)
    directory = store.check_outside_weights(Path(cache_dir or store.default_cache_dir()) / key)
    pose_name, _ = store.adapted_names(name)
    if store.is_complete(directory, name):
        progress(1.0)
        summary = json.loads((directory / "adapt.json").read_text())
        return AdaptedModel(directory, pose_name, summary, cached=True)
    t0 = time.monotonic()
    pose, _ = registry.load_model(name)
    traj, _ = registry.load_model(traj_name)
    source = load_source_clips(float(card.get("fps") or 30.0), mocap_dir)
    check_cancel(cancel)
    adapter = Adapter(pose, traj, [clip], source, config)
    before = backprojection_error(pose, traj, [clip])
    progress(SETUP_SHARE)
    remaining = max(MIN_BUDGET_S, budget_s - (time.monotonic() - t0))
    run = adapter.run(
        remaining,
        lambda f: progress(SETUP_SHARE + (1 - SETUP_SHARE) * 0.95 * f),
        cancel,
    )
    after = backprojection_error(adapter.pose, adapter.traj, [clip])
    summary = {
        "model": name,
        "settings": settings,
        "frames": len(clip.inputs),
        "supervised_mocap": source is not None,
        "steps": run["steps"],
        "seconds": round(time.monotonic() - t0, 2),
        "backprojection_px": {"before": before["px"], "after": after["px"]},
        "history": run["history"],
    }
    check_cancel(cancel)
    store.save(
        directory,
        name,
        {"pose": adapter.pose, "trajectory": adapter.traj},
        {"pose": card, "trajectory": traj_card},
        summary,
    )
    progress(1.0)
    return AdaptedModel(directory, pose_name, summary)


def lift_adapted(
    adapted: AdaptedModel,
    lift2d: np.ndarray,
    width: float,
    height: float,
    *,
    fps: float | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
):
    """:func:`lifting.inference.lift` with an adapted pair (torch, CPU) → Pose3D."""
    import torch

    from ..inference import assemble_pose, prepare_inputs, to_model_rate
    from ..models import registry
    from ..models.sequence import predict_sequence

    pose_model, card = registry.load_model(adapted.name, adapted.directory)
    traj_model, _ = registry.load_model(card["trajectory_model"], adapted.directory)
    x = prepare_inputs(lift2d, width, height)
    t = len(x)
    x = to_model_rate(x, fps, card)
    check_cancel(cancel)
    xt = torch.from_numpy(np.ascontiguousarray(x[None]))
    joints = predict_sequence(pose_model, xt)[0].numpy()
    progress(0.8)
    check_cancel(cancel)
    root = predict_sequence(traj_model, xt)[0, :, 0].numpy()
    progress(1.0)
    return assemble_pose(joints, root, t, model=card["name"], device="torch:cpu", fps=fps)
