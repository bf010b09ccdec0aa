"""Lift 2D keypoints to 3D with a bundled model: :func:`lift` → :class:`Pose3D`.

Input ``lift2d (T, 21, 3)``: x px, y px, confidence in the lift layout (``Track2D.lift2d``).
Output joints in the camera frame (x right, y down, z forward), metres, root-relative, and the
root position in the camera frame from the model's trajectory model.

Clips of any length ≥ 1 frame work: the ends are padded by edge replication. Clips at another
frame rate than the model's (``fps``) are resampled to the model's rate and back, so the
temporal receptive field spans the same time as in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .camera import normalize_screen
from .errors import ClipTooShortError, FileFormatError
from .progress import CancelToken, ProgressFn, check_cancel, no_progress
from .skeleton import LIFT_JOINTS, NUM_JOINTS

POSE3D_FORMAT_VERSION = 1
CHUNK_FRAMES = 20_000  # frames per model call: bounds memory, lets cancel act on long clips


@dataclass
class Pose3D:
    """Lifted 3D pose: ``joints3d (T, 21, 3)`` camera frame metres, root-relative;
    ``root (T, 3)`` camera frame metres; ``joint_names`` (lift layout); ``model`` name;
    ``device`` it ran on; ``fps`` of the frames (None if unknown)."""

    joints3d: np.ndarray
    root: np.ndarray
    joint_names: tuple = LIFT_JOINTS
    model: str = ""
    device: str = ""
    fps: float | None = None

    def save(self, path) -> None:
        """Write an npz: ``joints3d, root, joint_names, model, device, fps, format_version``."""
        np.savez(
            path,
            joints3d=np.asarray(self.joints3d, np.float32),
            root=np.asarray(self.root, np.float32),
            joint_names=np.array(self.joint_names),
            model=np.array(self.model),
            device=np.array(self.device),
            fps=np.array(np.nan if self.fps is None else self.fps, np.float64),
            format_version=np.array(POSE3D_FORMAT_VERSION),
        )

    @classmethod
    def load(cls, path) -> Pose3D:
        """Read an npz written by :meth:`save`; raises FileFormatError if it is not one."""
        with np.load(path, allow_pickle=False) as f:
            missing = {"joints3d", "root", "joint_names", "format_version"} - set(f.files)
            if missing:
                raise FileFormatError(f"{path} is not a Pose3D file (missing {sorted(missing)}).")
            if int(f["format_version"]) != POSE3D_FORMAT_VERSION:
                raise FileFormatError(
                    f"{path} has Pose3D format_version {int(f['format_version'])}; this Lift "
                    f"reads version {POSE3D_FORMAT_VERSION}. Lift the keypoints again."
                )
            fps = float(f["fps"]) if "fps" in f.files else float("nan")
            return cls(
                joints3d=f["joints3d"],
                root=f["root"],
                joint_names=tuple(str(n) for n in f["joint_names"]),
                model=str(f["model"]) if "model" in f.files else "",
                device=str(f["device"]) if "device" in f.files else "",
                fps=None if np.isnan(fps) else fps,
            )


def prepare_inputs(lift2d: np.ndarray, width: float, height: float) -> np.ndarray:
    """Pixels + confidence ``(T, 21, 3)`` → model inputs ``(T, 21, 3)`` (normalised 2D + conf).

    Joints that are missing (NaN, or confidence 0) get confidence 0 and position (0, 0), the
    convention of the training data (:mod:`lifting.train.synth`).
    """
    x = np.asarray(lift2d, dtype=np.float32)
    if x.ndim != 3 or x.shape[1] != NUM_JOINTS or x.shape[2] not in (2, 3):
        raise FileFormatError(f"expected 2D keypoints (T, {NUM_JOINTS}, 2 or 3), got {x.shape}")
    conf = x[..., 2].copy() if x.shape[2] == 3 else np.ones(x.shape[:2], np.float32)
    xy = normalize_screen(x[..., :2], width, height).astype(np.float32)
    bad = ~np.isfinite(xy).all(axis=-1) | ~np.isfinite(conf) | (conf <= 0)
    conf[bad] = 0.0
    xy[bad] = 0.0
    return np.concatenate([xy, np.clip(conf, 0, 1)[..., None]], axis=-1)


def resample_frames(x: np.ndarray, n_out: int) -> np.ndarray:
    """Linear resampling of ``x (T, ...)`` to ``n_out`` frames over the same time span."""
    t = len(x)
    if n_out == t:
        return x
    pos = np.linspace(0, t - 1, n_out) if t > 1 else np.zeros(n_out)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, t - 1)
    w = (pos - lo).reshape((-1,) + (1,) * (x.ndim - 1)).astype(np.float32)
    return x[lo] * (1 - w) + x[hi] * w


def _run(lifter, x: np.ndarray, progress: ProgressFn, cancel, share: tuple[float, float]):
    """Predict ``x (T, 21, 3)`` → ``(T, J_out, 3)`` in chunks with mirror TTA."""
    from .runtime import predict_sequence

    t = len(x)
    outs = []
    for s in range(0, t, CHUNK_FRAMES):
        check_cancel(cancel)
        # Each chunk takes its real neighbours as context, so chunking does not change results.
        lo, hi = max(0, s - lifter.pad), min(t, s + CHUNK_FRAMES + lifter.pad)
        y = predict_sequence(lifter, x[None, lo:hi], mirror=True)[0]
        outs.append(y[s - lo : s - lo + min(CHUNK_FRAMES, t - s)])
        progress(share[0] + (share[1] - share[0]) * min(1.0, (s + CHUNK_FRAMES) / t))
    return np.concatenate(outs)


def load_lifters(model: str = "default", device: str | None = None):
    """``(pose Lifter, trajectory Lifter, card)`` of a bundled model; device "cpu" forces CPU."""
    from .models import registry
    from .runtime import load_lifter

    name = registry.resolve(model)
    card = registry.load_card(name)
    prefer = "cpu" if device == "cpu" else "auto"
    traj_name = card.get("trajectory_model")
    pose = load_lifter(name, prefer=prefer, torch_model=lambda: registry.load_model(name)[0])
    traj = None
    if traj_name:
        traj = load_lifter(
            traj_name, prefer=prefer, torch_model=lambda: registry.load_model(traj_name)[0]
        )
    return pose, traj, card


def lift(
    lift2d: np.ndarray,
    width: float,
    height: float,
    *,
    model: str = "default",
    fps: float | None = None,
    device: str | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> Pose3D:
    """Lift ``lift2d (T, 21, 3)`` (x px, y px, confidence) of a ``width`` × ``height`` video.

    ``model``: a bundled model name or ``"default"``; ``fps``: the clip's frame rate (resampled
    to the model's when they differ by more than 5 %); ``device``: ``"cpu"`` to force the CPU,
    else CUDA / Apple MPS when present. Clips shorter than the chosen model needs (a still, a
    few frames) are lifted by the single-frame model (``Pose3D.model`` names the model that
    ran). Raises ClipTooShortError for an empty clip.
    """
    x = prepare_inputs(lift2d, width, height)
    if len(x) == 0:
        raise ClipTooShortError("The clip has no frames to lift; choose a longer frame range.")
    model = registry_for_clip(model, len(x))  # stills / very short clips: single-frame model
    pose_lifter, traj_lifter, card = load_lifters(model, device)
    t = len(x)
    x = to_model_rate(x, fps, card)
    joints = _run(pose_lifter, x, progress, cancel, (0.0, 0.8))
    if traj_lifter is not None:
        root = _run(traj_lifter, x, progress, cancel, (0.8, 1.0))[:, 0]
    else:
        root = np.zeros((len(x), 3), np.float32)
    progress(1.0)
    name = card.get("name", registry_name(model))
    return assemble_pose(joints, root, t, model=name, device=pose_lifter.device, fps=fps)


def to_model_rate(x: np.ndarray, fps: float | None, card: dict) -> np.ndarray:
    """``x (T, ...)`` resampled to the model's frame rate (its card's ``fps``, default 30) when
    the clip's ``fps`` differs by more than 5 %; unchanged otherwise."""
    model_fps = float(card.get("fps") or 30.0)
    t = len(x)
    if fps and abs(fps - model_fps) > 0.05 * model_fps and t > 1:
        return resample_frames(x, max(1, round((t - 1) * model_fps / fps) + 1))
    return x


def assemble_pose(
    joints: np.ndarray, root: np.ndarray, frames: int, *, model: str, device: str, fps
) -> Pose3D:
    """Pose3D from model-rate ``joints (N, J, 3)`` and ``root (N, 3)``, resampled back to the
    clip's ``frames`` when N differs; the root joint is exactly 0 (root-relative)."""
    if len(joints) != frames:
        joints, root = resample_frames(joints, frames), resample_frames(root, frames)
    joints = joints.copy()
    joints[:, 0] = 0.0
    return Pose3D(
        joints3d=joints.astype(np.float32),
        root=root.astype(np.float32),
        joint_names=LIFT_JOINTS,
        model=model,
        device=device,
        fps=fps,
    )


def registry_for_clip(model: str, frames: int) -> str:
    """The model to run for a clip of ``frames`` frames (``registry.for_clip``): the chosen one,
    or the single-frame model when the clip is shorter than the chosen model needs."""
    from .models import registry

    return registry.for_clip(model, frames)


def registry_name(model: str) -> str:
    from .models import registry

    return registry.resolve(model)


def weights_path(model: str = "default") -> Path:
    """Path of a bundled model's ``.pt`` file."""
    from .models import registry

    return registry.card_path(model)[0]
