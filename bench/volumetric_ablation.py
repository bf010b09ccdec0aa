"""Volumetric lifter ablation (Pavlakos et al. 2017's two ablations, on 2D keypoints).

Three single-frame lifters of the same size, trained one after another on the same data — the
same seeded stream of batches (mocap chunks, pose-space augmentation, virtual cameras, noise
model) for the same number of steps through :class:`lifting.train.single_model.ModelTrainer` —
then scored on the validation split (clean and noisy synthetic 2D, mirror TTA):

1. ``regression``: one stage of ``blocks`` residual blocks regressing x, y, z directly;
2. ``volume-64``: the same trunk in one stage, depth as a 64-bin distribution + soft-argmax;
3. ``coarse-to-fine``: ``blocks`` stages of one block each, 1 → 2 → 4 → … → 64 depth bins,
   each supervised, features and distributions passed on separately.

Each variant checkpoints in ``<out>/<variant>/`` and its result is kept in ``<out>/results.json``
(re-running skips finished variants, resumes an interrupted one). Prints a Markdown table.

    ./run python bench/volumetric_ablation.py [--steps 250] [--channels 256]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a script; product code never does this
    sys.path.insert(0, str(ROOT))


def variants(blocks: int) -> dict[str, dict]:
    """Constructor arguments (besides channels) of the three variants; equal trunk depth."""
    fine = [2**i for i in range(blocks)]  # 1, 2, 4, ..., 2 ** (blocks - 1)
    return {
        "regression": {"bins": [0], "blocks": blocks},
        "volume-64": {"bins": [64], "blocks": blocks},
        "coarse-to-fine": {"bins": fine, "blocks": 1},
    }


def train_variant(name: str, arguments: dict, args, train, val):
    """Train one variant to ``args.steps``; returns the trained model and its trainer."""
    from lifting.train.config import TrainConfig
    from lifting.train.single_model import ModelTrainer

    cfg = TrainConfig(
        out=str(Path(args.out) / name),
        name=name,
        seed=args.seed,
        batch=args.batch,
        out_frames=args.out_frames,
        steps=args.steps,
        lr=args.lr,
        validate_minutes=0,
        log_every=100,
        noise_p=0.6,
        threads=args.threads,
        baseline=False,
        ablation=False,
        extra={"architecture": "volumetric", "arguments": arguments},
    )
    trainer = ModelTrainer(cfg, train, val)
    trainer.run()
    return trainer


def main(argv: list[str] | None = None) -> int:
    import torch

    from lifting.mocap.dataset import load_split
    from lifting.train.cli import setup_logging
    from lifting.train.validate import build_validation_sets, score

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out/bench/volumetric_ablation")
    p.add_argument("--steps", type=int, default=250)
    p.add_argument("--channels", type=int, default=256)
    p.add_argument("--blocks", type=int, default=7, help="trunk depth (c2f: up to 2**(b-1) bins)")
    p.add_argument("--batch", type=int, default=256, help="chunks per step")
    p.add_argument("--out-frames", type=int, default=4, help="frames per chunk")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--files", nargs="*", default=None, help="train files (default: train split)")
    p.add_argument("--val-files", nargs="*", default=None)
    p.add_argument("--mocap-dir", default=None)
    p.add_argument("--cache-dir", default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    setup_logging(out)
    kw = {"fps": 30, "mocap_dir": args.mocap_dir, "cache_dir": args.cache_dir}
    train = load_split("train" if args.files is None else "custom", files=args.files, **kw)
    val = load_split("val" if args.val_files is None else "custom", files=args.val_files, **kw)
    sets = build_validation_sets(val)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name, spec in variants(args.blocks).items():
        arguments = {**spec, "channels": args.channels, "dropout": 0.0}
        key = f"{name} steps={args.steps} channels={args.channels}"
        if key in results:
            continue
        t0 = time.perf_counter()
        trainer = train_variant(name, arguments, args, train, val)
        model = trainer.models["pose"]
        results[key] = {
            "variant": name,
            "arguments": arguments,
            "steps": trainer.step,
            "training_minutes": round(trainer.elapsed / 60, 2),
            "wall_minutes": round((time.perf_counter() - t0) / 60, 2),
            "parameters": sum(q.numel() for q in model.parameters()),
            "clean": score(model, sets["clean"])["all"],
            "noisy": score(model, sets["noisy"])["all"],
        }
        results_path.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results, args.steps, args.channels))
    return 0


def table(results: dict, steps: int, channels: int) -> str:
    lines = [
        "| variant | depth bins per stage | params | train min | clean MPJPE | clean P-MPJPE "
        "| noisy MPJPE | noisy P-MPJPE |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in results.items():
        if not key.endswith(f"steps={steps} channels={channels}"):
            continue
        bins = "→".join(str(b) for b in r["arguments"]["bins"])
        bins = "z regressed" if r["arguments"]["bins"] == [0] else bins
        c, n = r["clean"], r["noisy"]
        lines.append(
            f"| {r['variant']} | {bins} | {r['parameters']:,} | {r['training_minutes']:.1f} "
            f"| {c['mpjpe']:.1f} | {c['p_mpjpe']:.1f} | {n['mpjpe']:.1f} | {n['p_mpjpe']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
