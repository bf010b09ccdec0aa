"""``python -m lifting train``: train the pose + trajectory lifters (and the single-frame
baseline) on BVH mocap, resumably, and write weights with model cards.

Example (the shipped model's command is in its card)::

    python -m lifting train --out out/train/tcn81 --name tcn81 --minutes 70

Re-running the same command resumes from ``<out>/checkpoint.pt``. Weights and cards are
written to ``<out>/weights/`` after every periodic validation and at the end.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from .config import TrainConfig, role_names

log = logging.getLogger("lifting.train")


def add_arguments(parser) -> None:
    d = TrainConfig()
    a = parser.add_argument
    a("--out", default=d.out, help="run folder: log, checkpoint, weights (default %(default)s)")
    a("--name", default=d.name, help="model name; files <name>.pt, <name>-traj.pt, ...")
    a("--seed", type=int, default=d.seed)
    a("--channels", type=int, default=d.channels)
    a("--widths", default="3,3,3,3", help="filter widths; receptive field = their product")
    a("--dropout", type=float, default=d.dropout)
    a("--raw-inputs", action="store_true", help="no per-frame 2D normalisation in the models")
    a("--traj-channels", type=int, default=d.traj_channels)
    a("--baseline-channels", type=int, default=d.baseline_channels)
    a("--no-baseline", action="store_true", help="do not co-train the single-frame baseline")
    a(
        "--no-ablation",
        action="store_true",
        help="do not co-train the baseline without pose-space augmentation",
    )
    a(
        "--baseline-frames",
        type=int,
        default=d.baseline_frames,
        help="frames per chunk the baseline is trained on",
    )
    a("--batch", type=int, default=d.batch, help="chunks per step")
    a("--out-frames", type=int, default=d.out_frames, help="supervised frames per chunk")
    a("--lr", type=float, default=d.lr)
    a("--lr-final", type=float, default=d.lr_final, help="final lr as a fraction of --lr")
    a("--steps", type=int, default=0, help="step budget")
    a("--minutes", type=float, default=0.0, help="time budget (training time, minutes)")
    a("--log-every", type=int, default=d.log_every, help="steps per loss line")
    a("--checkpoint-minutes", type=float, default=d.checkpoint_minutes)
    a("--validate-minutes", type=float, default=d.validate_minutes)
    a("--augment-p", type=float, default=d.augment_p, help="fraction of pose-augmented chunks")
    a("--noise-p", type=float, default=d.noise_p, help="fraction of steps with 2D noise")
    a("--h36m-p", type=float, default=d.h36m_p, help="fraction of chunks without the extras")
    a(
        "--offsets-p",
        type=float,
        default=d.offsets_p,
        help="fraction of batches with MediaPipe's landmark offsets applied to the 2D",
    )
    a(
        "--speed-range",
        type=float,
        default=d.speed_range,
        help="chunks play at a speed in [1/R, R] (temporal augmentation; 1 = off)",
    )
    a("--cmu-weight", type=float, default=d.cmu_weight, help="sampling weight of CMU frames")
    a("--mocap-dir", default=None)
    a("--cache-dir", default=None)
    a("--files", nargs="*", default=None, help="train on these mocap files only")
    a("--val-files", nargs="*", default=None, help="validate on these mocap files only")
    a(
        "--threads",
        type=int,
        default=d.threads,
        help="torch threads (1 is faster than 2 when other jobs share the 2 cores)",
    )
    a(
        "--init",
        default=None,
        help="warm start: a weights folder holding <init-name>.pt, <init-name>-traj.pt, ... "
        "(e.g. lifting/weights); used only when the run has no checkpoint yet",
    )
    a("--init-name", default=None, help="model name in --init (default: --name)")
    a(
        "--freeze-bn",
        action="store_true",
        help="train in eval mode: batch norm keeps its running statistics (fine-tuning phase)",
    )
    a("--no-final-eval", action="store_true", help="skip the full evaluation at the end")


def config_from_args(args) -> TrainConfig:
    if not args.steps and not args.minutes:
        raise SystemExit("error: give a budget: --steps N and/or --minutes M")
    return TrainConfig(
        out=args.out,
        name=args.name,
        seed=args.seed,
        channels=args.channels,
        filter_widths=tuple(int(w) for w in args.widths.split(",")),
        dropout=args.dropout,
        normalize=not args.raw_inputs,
        traj_channels=args.traj_channels,
        baseline_channels=args.baseline_channels,
        baseline=not args.no_baseline,
        baseline_frames=args.baseline_frames,
        ablation=not args.no_ablation,
        batch=args.batch,
        out_frames=args.out_frames,
        lr=args.lr,
        lr_final=args.lr_final,
        steps=args.steps,
        minutes=args.minutes,
        log_every=args.log_every,
        checkpoint_minutes=args.checkpoint_minutes,
        validate_minutes=args.validate_minutes,
        augment_p=args.augment_p,
        noise_p=args.noise_p,
        cmu_weight=args.cmu_weight,
        h36m_p=args.h36m_p,
        offsets_p=args.offsets_p,
        speed_range=args.speed_range,
        mocap_dir=args.mocap_dir,
        cache_dir=args.cache_dir,
        files=args.files,
        val_files=args.val_files,
        threads=args.threads,
        init=args.init,
        init_name=args.init_name,
        freeze_bn=args.freeze_bn,
    )


def setup_logging(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
    log.setLevel(logging.INFO)
    log.handlers.clear()
    for h in (logging.FileHandler(out / "train.log"), logging.StreamHandler(sys.stdout)):
        h.setFormatter(fmt)
        log.addHandler(h)


def export_all(trainer, metrics_by_role: dict, command: str | None = None) -> list[Path]:
    """Write weights + cards of every model of ``trainer`` to ``<out>/weights``."""
    from .export import write_card
    from .loop import model_arguments

    cfg = trainer.cfg
    names = role_names(cfg.name)
    paths = []
    for role, model in trainer.models.items():
        arch, kwargs = model_arguments(cfg, role)
        extra = {
            "training_steps": trainer.step,
            "training_minutes": round(trainer.elapsed / 60, 1),
            "validation_history": trainer.history,
        }
        if role == "pose":
            extra["trajectory_model"] = names["trajectory"]
            extra["baseline_model"] = names.get("baseline") if cfg.baseline else None
        paths.append(
            write_card(
                Path(cfg.out) / "weights",
                names[role],
                model,
                arch,
                kwargs,
                role=role,
                config=cfg.to_dict(),
                metrics=metrics_by_role.get(role, {}),
                command=command,
                extra=extra,
            )
        )
    return paths


def final_metrics(trainer) -> dict:
    """Full validation (clean and noisy 2D, per source and action) of every model."""
    from .validate import build_validation_sets, score, score_trajectory

    out = {}
    sets = build_validation_sets(trainer.val_clips)
    for role, model in trainer.models.items():
        out[role] = {}
        for kind, groups in sets.items():
            if role == "trajectory":
                out[role][kind] = score_trajectory(model, groups)
            else:
                s = score(model, groups)
                out[role][kind] = {"all": s["all"], "source": s["source"]}
    return out


def main(args) -> int:
    from ..mocap.dataset import load_split
    from .loop import Trainer

    cfg = config_from_args(args)
    out = Path(cfg.out)
    setup_logging(out)
    command = "python -m lifting train " + " ".join(sys.argv[2:])
    log.info("config %s", json.dumps(cfg.to_dict()))
    split = "train" if cfg.files is None else "custom"
    train = load_split(
        split, fps=cfg.fps, mocap_dir=cfg.mocap_dir, cache_dir=cfg.cache_dir, files=cfg.files
    )
    vsplit = "val" if cfg.val_files is None else "custom"
    val = load_split(
        vsplit, fps=cfg.fps, mocap_dir=cfg.mocap_dir, cache_dir=cfg.cache_dir, files=cfg.val_files
    )
    log.info(
        "train: %d clips, %d frames; val: %d clips, %d frames",
        len(train),
        sum(len(c.joints) for c in train),
        len(val),
        sum(len(c.joints) for c in val),
    )
    trainer = Trainer(cfg, train, val)

    def on_validate(tr, result):
        metrics = {r: {"clean_quick": result[r]} for r in tr.models if r in result}
        for p in export_all(tr, metrics, command):
            log.info("wrote %s", p)

    trainer.run(on_validate=on_validate)
    metrics = {} if args.no_final_eval else final_metrics(trainer)
    log.info("final validation %s", json.dumps(metrics))
    for p in export_all(trainer, metrics, command):
        log.info("wrote %s", p)
    return 0
