"""``python -m lifting train-model``: train one more pose lifter (GLA-GCN, volumetric) on the
default lifter's pipeline — same mocap chunks, pose-space augmentation, virtual cameras, noise
model, schedule, checkpoints, validation and model cards (:mod:`lifting.train.loop`).

Only the pose model is trained; its card names the default lifter's trajectory model (the root
position) and single-frame baseline. Example (the bundled models' commands are in their cards)::

    python -m lifting train-model --arch glagcn --name glagcn27 --out out/train/glagcn27 \\
        --levels 3 --channels 64 --minutes 35

Re-running the same command resumes from ``<out>/checkpoint.pt``; weights + card are written to
``<out>/weights/`` after each periodic validation and at the end.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from pathlib import Path

import torch

from .config import TrainConfig
from .loop import Trainer, masked_mpjpe

log = logging.getLogger("lifting.train")

ARCHITECTURES = ("glagcn", "volumetric")
SUMMARIES = {  # shown in the sidebar's model list (props.model_items)
    "glagcn": "Graph network (GLA-GCN): skeleton graph convolutions, per-joint regression",
    "volumetric": "Single frame (stills, very short clips): coarse-to-fine depth distributions",
}


class ModelTrainer(Trainer):
    """A :class:`~lifting.train.loop.Trainer` whose only model is ``cfg.extra["architecture"]``
    built with ``cfg.extra["arguments"]``. A model with ``forward_stages`` (volumetric) is
    supervised at every stage (sum of the stages' MPJPE)."""

    def __init__(self, cfg: TrainConfig, train_clips: list, val_clips: list | None = None):
        from ..models.registry import build_model

        super().__init__(dataclasses.replace(cfg, baseline=False), train_clips, val_clips)
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.extra["architecture"], **cfg.extra["arguments"])
        self.models = {"pose": model}
        self.opts = {"pose": torch.optim.Adam(model.parameters(), lr=cfg.lr, amsgrad=True)}
        self.pad = model.pad()
        # The default lifter's sampler (source weights, any other options), with this pad.
        self.sampler = dataclasses.replace(self.sampler, pad=self.pad)

    def loss(self, model, inputs, target, valid) -> tuple[torch.Tensor, torch.Tensor]:
        """``(training loss, final-output MPJPE)``."""
        if hasattr(model, "forward_stages"):
            errs = [masked_mpjpe(p, target, valid) for p in model.forward_stages(inputs)]
            return sum(errs), errs[-1]
        err = masked_mpjpe(model(inputs), target, valid)
        return err, err

    def train_step(self) -> dict:
        b = self.make_batch()
        model = self.models["pose"]
        model.train()
        loss, final = self.loss(model, b["inputs"], b["target"], b["valid"])
        self.opts["pose"].zero_grad(set_to_none=True)
        loss.backward()
        self.opts["pose"].step()
        self.step += 1
        return {"pose": final.item()}


def add_arguments(parser) -> None:
    d = TrainConfig()
    a = parser.add_argument
    a("--arch", choices=ARCHITECTURES, required=True)
    a("--name", required=True, help="model name; files <name>.pt and <name>.json")
    a("--out", required=True, help="run folder: log, checkpoint, weights")
    a("--seed", type=int, default=d.seed)
    a("--channels", type=int, default=64)
    a("--levels", type=int, default=3, help="glagcn: receptive field 3 ** levels")
    a("--bins", default="1,2,4,8,16,32,64", help="volumetric: depth bins per stage (0: regress)")
    a("--blocks", type=int, default=1, help="volumetric: residual blocks per stage")
    a("--dropout", type=float, default=0.1)
    a("--batch", type=int, default=32, help="chunks per step")
    a("--out-frames", type=int, default=32, help="supervised frames per chunk")
    a("--lr", type=float, default=d.lr)
    a("--lr-final", type=float, default=d.lr_final)
    a("--steps", type=int, default=0)
    a("--minutes", type=float, default=0.0)
    a("--log-every", type=int, default=d.log_every)
    a("--checkpoint-minutes", type=float, default=d.checkpoint_minutes)
    a("--validate-minutes", type=float, default=d.validate_minutes)
    a("--augment-p", type=float, default=d.augment_p)
    a("--noise-p", type=float, default=0.6)
    a("--cmu-weight", type=float, default=d.cmu_weight)
    a("--trajectory-model", default="tcn81-traj", help="root model named in the card")
    a("--baseline-model", default="tcn81-mlp", help="single-frame baseline named in the card")
    a("--mocap-dir", default=None)
    a("--cache-dir", default=None)
    a("--files", nargs="*", default=None)
    a("--val-files", nargs="*", default=None)
    a("--threads", type=int, default=1)
    a("--no-final-eval", action="store_true")


def model_spec(args) -> tuple[str, dict]:
    """``(architecture, constructor arguments)`` from the command line."""
    if args.arch == "glagcn":
        return "glagcn", {"levels": args.levels, "channels": args.channels, "dropout": args.dropout}
    bins = [int(b) for b in args.bins.split(",")]
    return "volumetric", {
        "bins": bins,
        "blocks": args.blocks,
        "channels": args.channels,
        "dropout": args.dropout,
    }


def config_from_args(args) -> TrainConfig:
    if not args.steps and not args.minutes:
        raise SystemExit("error: give a budget: --steps N and/or --minutes M")
    arch, kwargs = model_spec(args)
    names = ("lr", "lr_final", "steps", "minutes", "log_every", "checkpoint_minutes")
    names += ("validate_minutes", "augment_p", "noise_p", "cmu_weight", "mocap_dir", "cache_dir")
    names += ("files", "val_files", "threads", "seed", "batch", "out_frames", "out", "name")
    return TrainConfig(
        **{n: getattr(args, n) for n in names},
        channels=args.channels,
        dropout=args.dropout,
        baseline=False,
        ablation=False,
        extra={
            "architecture": arch,
            "arguments": kwargs,
            "trajectory_model": args.trajectory_model,
            "baseline_model": args.baseline_model,
        },
    )


def export(trainer: ModelTrainer, metrics: dict, command: str) -> Path:
    """Write ``<out>/weights/<name>.pt`` + card; returns the card path."""
    from .export import write_card

    cfg = trainer.cfg
    model = trainer.models["pose"]
    extra = {
        "training_steps": trainer.step,
        "training_minutes": round(trainer.elapsed / 60, 1),
        "validation_history": trainer.history,
        "trajectory_model": cfg.extra["trajectory_model"],
        "baseline_model": cfg.extra["baseline_model"],
        "summary": SUMMARIES[cfg.extra["architecture"]],
    }
    if hasattr(model, "levels"):
        from ..models.glagcn import macs_per_frame

        extra["macs_per_frame"] = macs_per_frame(model)
    return write_card(
        Path(cfg.out) / "weights",
        cfg.name,
        model,
        cfg.extra["architecture"],
        cfg.extra["arguments"],
        role="pose",
        config=cfg.to_dict(),
        metrics=metrics,
        command=command,
        extra=extra,
    )


def main(args) -> int:
    from ..mocap.dataset import load_split
    from .cli import final_metrics, setup_logging

    cfg = config_from_args(args)
    setup_logging(Path(cfg.out))
    command = "python -m lifting train-model " + " ".join(sys.argv[2:])
    log.info("config %s", json.dumps(cfg.to_dict()))
    kw = {"fps": cfg.fps, "mocap_dir": cfg.mocap_dir, "cache_dir": cfg.cache_dir}
    train = load_split("train" if cfg.files is None else "custom", files=cfg.files, **kw)
    val = load_split("val" if cfg.val_files is None else "custom", files=cfg.val_files, **kw)
    trainer = ModelTrainer(cfg, train, val)
    log.info(
        "%s: %d parameters", cfg.name, sum(p.numel() for p in trainer.models["pose"].parameters())
    )

    def on_validate(tr, result):
        log.info("wrote %s", export(tr, {"clean_quick": result.get("pose")}, command))

    trainer.run(on_validate=on_validate)
    metrics = {} if args.no_final_eval else final_metrics(trainer)
    log.info("final validation %s", json.dumps(metrics))
    log.info("wrote %s", export(trainer, metrics.get("pose", {}), command))
    return 0
