"""The training loop: pose TCN + trajectory TCN (+ single-frame baseline) on one stream of batches.

Every step draws chunks of mocap (:class:`~lifting.train.windows.ChunkSampler`), optionally
bends them with pose-space augmentation, projects them through random virtual cameras with the
MediaPipe-shaped noise model (:func:`lifting.train.synth.make_batch`), and updates

- the pose model (dilated :class:`~lifting.models.tcn.TemporalModel` over whole chunks: on a
  2-core CPU this is far cheaper per supervised frame than strided single-frame windows) with
  MPJPE on the root-relative camera-frame joints;
- the trajectory model (same architecture, one output joint) with the root error weighted by
  1 / depth (VideoPose3D);
- optionally the single-frame baseline (:class:`~lifting.models.tcn.ResidualMLP`) on the same
  frames, so the evaluate table compares models trained on the same data and steps.

The run is seeded, logs to ``<out>/train.log`` and stdout, checkpoints every few minutes to
``<out>/checkpoint.pt`` and resumes from it, and stops at its step or time budget.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import torch

from ..models.tcn import ResidualMLP, TemporalModel
from ..skeleton import H36M17
from .config import TrainConfig, role_names
from .windows import ChunkSampler

log = logging.getLogger("lifting.train")


def build_models(cfg: TrainConfig) -> dict[str, torch.nn.Module]:
    """The models a run trains, by role: ``pose``, ``trajectory`` and maybe ``baseline``."""
    models = {}
    for role in ("pose", "trajectory", "baseline", "baseline-noaug"):
        if role.startswith("baseline") and not cfg.baseline:
            continue
        if role == "baseline-noaug" and not (cfg.ablation and cfg.augment_p > 0):
            continue
        arch, kwargs = model_arguments(cfg, role)
        models[role] = TemporalModel(**kwargs) if arch == "tcn" else ResidualMLP(**kwargs)
    return models


def model_arguments(cfg: TrainConfig, role: str) -> tuple[str, dict]:
    """``(architecture, constructor kwargs)`` of a role, as written in model cards."""
    common = {"dropout": cfg.dropout, "normalize": cfg.normalize}
    if role == "pose":
        return "tcn", {
            "channels": cfg.channels,
            "filter_widths": tuple(cfg.filter_widths),
            "joints_out": 21,
            "zero_root": True,
            **common,
        }
    if role == "trajectory":
        return "tcn", {
            "channels": cfg.traj_channels,
            "filter_widths": tuple(cfg.filter_widths),
            "joints_out": 1,
            "zero_root": False,
            **common,
        }
    return "mlp", {"channels": cfg.baseline_channels, **common}  # the baselines


def masked_mpjpe(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean joint distance over valid frames: pred/target ``(B, T, J, 3)``, valid ``(B, T)``."""
    err = torch.linalg.vector_norm(pred - target, dim=-1).mean(dim=-1)
    return (err * valid).sum() / valid.sum().clamp(min=1)


def trajectory_loss(pred: torch.Tensor, root: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Root distance weighted by inverse depth: pred ``(B, T, 1, 3)``, root ``(B, T, 3)``."""
    err = torch.linalg.vector_norm(pred[:, :, 0] - root, dim=-1) / root[..., 2].clamp(min=0.1)
    return (err * valid).sum() / valid.sum().clamp(min=1)


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


class Trainer:
    """One resumable run of :class:`TrainConfig`; call :meth:`run`."""

    def __init__(self, cfg: TrainConfig, train_clips: list, val_clips: list | None = None):
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        self.rng = np.random.default_rng(cfg.seed)
        self.models = build_models(cfg)
        self.opts = {
            k: torch.optim.Adam(m.parameters(), lr=cfg.lr, amsgrad=True)
            for k, m in self.models.items()
        }
        self.pad = self.models["pose"].pad()
        self.sampler = ChunkSampler(
            train_clips,
            self.pad,
            cfg.out_frames,
            {"cmu": cfg.cmu_weight, "bandai": 1.0},
            speed=(1 / cfg.speed_range, cfg.speed_range),
        )
        self.val_clips = val_clips
        self._val_groups = None
        self.step = 0
        self.elapsed = 0.0
        self.history: list[dict] = []

    # -- schedule ---------------------------------------------------------------------------
    def fraction(self) -> float:
        """Progress through the budget in [0, 1] (steps, time, or the larger of both)."""
        f = 0.0
        if self.cfg.steps:
            f = max(f, self.step / self.cfg.steps)
        if self.cfg.minutes:
            f = max(f, self.elapsed / (60 * self.cfg.minutes))
        return min(f, 1.0)

    def apply_schedule(self) -> float:
        f = self.fraction()
        lr = self.cfg.lr * self.cfg.lr_final**f
        mom = self.cfg.bn_momentum * (self.cfg.bn_momentum_final / self.cfg.bn_momentum) ** f
        for k, opt in self.opts.items():
            for group in opt.param_groups:
                group["lr"] = lr
            self.models[k].set_bn_momentum(mom)
        return lr

    # -- one step -----------------------------------------------------------------------------
    def baseline_stride(self) -> int:
        return max(1, self.cfg.out_frames // self.cfg.baseline_frames)

    def make_batch(self) -> dict:
        """One batch: ``inputs (B, chunk, J, 3)``; ``target (B, out, J, 3)``, ``root
        (B, out, 3)``, ``valid (B, out)`` for the output frames; with the augmentation ablation
        also ``noaug_inputs/target/valid`` (every k-th output frame, un-augmented poses)."""
        from .synth import make_batch

        raw, valid = self.sampler.sample(self.rng, self.cfg.batch)
        windows = self.augment(raw)
        noise = bool(self.rng.random() < self.cfg.noise_p)
        # MediaPipe's systematic landmark placement (measured on renders of training mocap)
        # moves the 2D inputs of a fraction of the batches; targets stay joint centres.
        offsets = "mediapipe" if self.rng.random() < self.cfg.offsets_p else None
        b = make_batch(windows, self.rng, noise=noise, mirror_p=0.5, offsets=offsets)
        self.drop_extras(b["inputs"])
        p, n = self.pad, self.cfg.out_frames
        out = {
            "inputs": _tensor(b["inputs"]),
            "target": _tensor(b["target"][:, p : p + n]),
            "root": _tensor(b["root"][:, p : p + n]),
            "valid": _tensor(valid),
        }
        if "baseline-noaug" in self.models:
            k = self.baseline_stride()
            c = make_batch(
                raw[:, p : p + n : k], self.rng, noise=noise, mirror_p=0.5, offsets=offsets
            )
            out["noaug_inputs"] = _tensor(c["inputs"])
            out["noaug_target"] = _tensor(c["target"])
            out["noaug_valid"] = _tensor(valid[:, ::k])
        return out

    def drop_extras(self, inputs: np.ndarray) -> None:
        """In a fraction ``h36m_p`` of the chunks, drop the lift joints Human3.6M lacks (toes,
        hand ends: confidence 0, xy 0), as inputs in the h36m17 layout arrive. In place."""
        if self.cfg.h36m_p <= 0:
            return
        pick = self.rng.random(len(inputs)) < self.cfg.h36m_p
        inputs[pick, :, H36M17:] = 0.0

    def augment(self, windows: np.ndarray) -> np.ndarray:
        """Pose-space augmentation of a fraction ``augment_p`` of the chunks (world frame)."""
        if self.cfg.augment_p <= 0:
            return windows
        from . import augment

        pick = self.rng.random(len(windows)) < self.cfg.augment_p
        if pick.any():
            windows = windows.copy()
            windows[pick] = augment.augment_poses(windows[pick], self.rng)
        return windows

    def train_step(self) -> dict:
        t0 = time.monotonic()
        b = self.make_batch()
        losses = {"data_s": (time.monotonic() - t0) / 1000}  # logged ×1000 like the losses
        p, n = self.pad, self.cfg.out_frames
        for role, model in self.models.items():
            model.train(not self.cfg.freeze_bn)
            if role == "baseline":
                # A single-frame model gains little from neighbouring frames of one chunk: it
                # sees every k-th output frame, which keeps its cost small beside the TCN.
                k = self.baseline_stride()
                pred = model(b["inputs"][:, p : p + n : k])
                loss = masked_mpjpe(pred, b["target"][:, ::k], b["valid"][:, ::k])
            elif role == "baseline-noaug":
                pred = model(b["noaug_inputs"])
                loss = masked_mpjpe(pred, b["noaug_target"], b["noaug_valid"])
            elif role == "trajectory":
                loss = trajectory_loss(model(b["inputs"]), b["root"], b["valid"])
            else:
                loss = masked_mpjpe(model(b["inputs"]), b["target"], b["valid"])
            self.opts[role].zero_grad(set_to_none=True)
            loss.backward()
            self.opts[role].step()
            losses[role] = loss.item()
        self.step += 1
        return losses

    # -- checkpoints ----------------------------------------------------------------------------
    def checkpoint_path(self) -> Path:
        return self.out / "checkpoint.pt"

    def save_checkpoint(self) -> None:
        state = {
            "config": self.cfg.to_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
            "history": json.dumps(self.history),
            "rng": json.dumps(self.rng.bit_generator.state),
            "torch_rng": torch.get_rng_state(),
            "models": {k: m.state_dict() for k, m in self.models.items()},
            "opts": {k: o.state_dict() for k, o in self.opts.items()},
        }
        tmp = self.checkpoint_path().with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(self.checkpoint_path())
        log.info(
            "checkpoint step %d (%.1f min) -> %s",
            self.step,
            self.elapsed / 60,
            self.checkpoint_path(),
        )

    def load_checkpoint(self) -> bool:
        path = self.checkpoint_path()
        if not path.exists():
            return False
        state = torch.load(path, map_location="cpu", weights_only=True)
        for k, m in self.models.items():
            m.load_state_dict(state["models"][k])
            self.opts[k].load_state_dict(state["opts"][k])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        self.history = json.loads(state["history"])
        self.rng.bit_generator.state = json.loads(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed from %s at step %d (%.1f min)", path, self.step, self.elapsed / 60)
        return True

    def warm_start(self, directory: Path, name: str) -> list[str]:
        """Load the weights of exported models ``<name>.pt``, ``<name>-traj.pt``, ... from
        ``directory`` into the matching roles (same architecture and arguments required);
        roles without a file start from scratch. Returns the roles loaded."""
        from .export import WEIGHTS_FORMAT_VERSION

        names = role_names(name)
        loaded = []
        for role, model in self.models.items():
            path = directory / f"{names[role]}.pt"
            if not path.exists():
                continue
            blob = torch.load(path, map_location="cpu", weights_only=True)
            if blob.get("format_version") != WEIGHTS_FORMAT_VERSION:
                raise ValueError(f"{path} is not a Lift weights file")
            try:
                model.load_state_dict(blob["state_dict"])
            except RuntimeError as e:
                raise ValueError(
                    f"--init {path} does not fit the {role} model of this run "
                    f"(its arguments: {blob['arguments']}): {e}"
                ) from None
            loaded.append(role)
        if not loaded:
            raise FileNotFoundError(f"--init: no {name}*.pt weights in {directory}")
        log.info("warm start from %s: %s", directory, ", ".join(loaded))
        return loaded

    # -- validation -----------------------------------------------------------------------------
    def validate(self) -> dict:
        from .validate import build_validation_sets, score

        if self.val_clips is None:
            return {}
        if self._val_groups is None:
            self._val_groups = build_validation_sets(self.val_clips)["clean"]
        result = {"step": self.step, "minutes": round(self.elapsed / 60, 2)}
        for role in ("pose", "baseline", "baseline-noaug"):
            if role in self.models:
                s = score(self.models[role], self._val_groups)["all"]
                result[role] = {k: round(v, 2) for k, v in s.items()}
        log.info("validation %s", json.dumps(result))
        self.history.append(result)
        return result

    # -- the loop -------------------------------------------------------------------------------
    def done(self) -> bool:
        if not self.cfg.steps and not self.cfg.minutes:
            raise ValueError("set a step budget (steps) or a time budget (minutes)")
        return self.fraction() >= 1.0

    def run(self, on_validate=None) -> list[dict]:
        """Train until the budget is spent; returns the list of per-log-interval loss means.

        ``on_validate(trainer, result)`` is called after each periodic validation (the CLI
        exports weights there, so an early model exists even if the run is stopped).
        """
        torch.set_num_threads(self.cfg.threads)
        if not self.load_checkpoint() and self.cfg.init:
            self.warm_start(Path(self.cfg.init), self.cfg.init_name or self.cfg.name)
        losses_log = []
        acc, acc_n = {}, 0
        last_ckpt = self.elapsed
        # Validate on the run's own clock (every validate_minutes of training), resumed or not.
        every = 60 * self.cfg.validate_minutes
        last_val = (self.elapsed // every) * every if every else self.elapsed
        t_prev = time.monotonic()
        while not self.done():
            lr = self.apply_schedule()
            losses = self.train_step()
            now = time.monotonic()
            self.elapsed += now - t_prev
            t_prev = now
            for k, v in losses.items():
                acc[k] = acc.get(k, 0.0) + v
            acc_n += 1
            if self.step % self.cfg.log_every == 0 or self.done():
                means = {k: round(1000 * v / acc_n, 2) for k, v in acc.items()}
                losses_log.append({"step": self.step, **means})
                log.info(
                    "step %d  %.1f min  lr %.2e  loss(mm) %s",
                    self.step,
                    self.elapsed / 60,
                    lr,
                    means,
                )
                acc, acc_n = {}, 0
            if self.elapsed - last_ckpt >= 60 * self.cfg.checkpoint_minutes:
                self.save_checkpoint()
                last_ckpt = self.elapsed
            if (
                self.val_clips is not None
                and self.cfg.validate_minutes
                and (self.elapsed - last_val >= 60 * self.cfg.validate_minutes)
            ):
                result = self.validate()
                if on_validate is not None:
                    on_validate(self, result)
                last_val = self.elapsed
                t_prev = time.monotonic()  # validation time is not training time
        self.save_checkpoint()
        return losses_log
