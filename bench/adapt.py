"""Adaptation under domain shift: train on Bandai only, adapt on CMU 2D, evaluate on CMU 3D.

1. ``train``: two SMALL lifter pairs (pose TCN + trajectory TCN, 128 channels, receptive field
   27) with the same step budget: *source* on the Bandai training clips only, and the
   *supervised upper bound* on Bandai + CMU training clips (CMU 3D seen).
2. ``adapt``: the source pair is adapted (:class:`lifting.adapt.loop.Adapter`) to 2D of the CMU
   TRAINING clips, made by the synthetic pipeline (random static camera per window, noise model,
   MediaPipe landmark offsets), with the focal length the product guesses (60° horizontal field
   of view), not the true one. Supervised batches come from the Bandai training clips only.
   Every row continues the source pair for the same number of steps (``--adapt-steps``):
   a control with the supervised Bandai batches alone (the source pair is small and
   under-trained, so extra steps alone help), back-projection, back-projection + the
   invariant-teacher / equivariant-student regulariser, and a continued upper bound with
   supervised Bandai + CMU 3D batches. Wall time per row is reported (the machine is shared:
   compare steps, not seconds).
3. Every model is scored on the validation split (CMU subject 7 = the target domain; Bandai =
   the source domain; all), noisy 2D (the noise model) and clean, with
   :func:`lifting.train.validate.score` (mirror test-time augmentation). Nothing is tuned on it.

Runs niced, one torch thread. Writes ``<out>/adapt.json`` and prints the markdown table.

    ./run python bench/adapt.py --out out/adapt [--steps 1500] [--adapt-steps 1500]
    ./run python bench/adapt.py --out out/adapt --product 60   # shipped model, sample clip
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a script; product code never does this
    sys.path.insert(0, str(ROOT))

VARIANTS = {"source": ("bandai",), "upper": ("bandai", "cmu")}


def small_config(out: Path, variant: str, steps: int):
    from lifting.train.config import TrainConfig

    return TrainConfig(
        out=str(out / variant),
        name=f"small-{variant}",
        channels=128,
        filter_widths=(3, 3, 3),
        traj_channels=64,
        baseline=False,
        ablation=False,
        batch=32,
        steps=steps,
        validate_minutes=0,
        checkpoint_minutes=2,
        threads=1,
        cmu_weight=1.0,
    )


def train(out: Path, steps: int, train_clips: list) -> None:
    """Train (or resume) both small pairs and export them to ``<out>/<variant>/weights``."""
    from lifting.train.cli import export_all
    from lifting.train.loop import Trainer

    for variant, sources in VARIANTS.items():
        cfg = small_config(out, variant, steps)
        if (Path(cfg.out) / "weights" / f"{cfg.name}.pt").exists():
            continue
        clips = [c for c in train_clips if c.source in sources]
        t0 = time.monotonic()
        trainer = Trainer(cfg, clips)
        trainer.run()
        export_all(trainer, {}, f"bench/adapt.py train ({variant}, {steps} steps)")
        print(f"trained {variant}: {trainer.step} steps, {time.monotonic() - t0:.0f} s", flush=True)


def load_pair(out: Path, variant: str):
    from lifting.models import registry

    d = out / variant / "weights"
    pose, _ = registry.load_model(f"small-{variant}", d)
    traj, _ = registry.load_model(f"small-{variant}-traj", d)
    return pose, traj


def target_clips(cmu_train: list, windows: int, seed: int = 1) -> list:
    """CMU training clips' 2D through the synthetic pipeline, as the footage to adapt to:
    ``windows`` windows of ~243 frames, each its own static camera, noise model and MediaPipe
    offsets; focal length = the product's guess for the frame width."""
    from lifting.adapt.clips import AdaptClip
    from lifting.camera import unnormalize_screen
    from lifting.train.synth import make_eval_set

    ev = make_eval_set(cmu_train, window=243, seed=seed, offsets="mediapipe")
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(ev.noisy), size=min(windows, len(ev.noisy)), replace=False)
    clips = []
    for i in sorted(pick):
        w, h = ev.size[i]
        px = unnormalize_screen(ev.noisy[i][..., :2], w, h)
        lift2d = np.concatenate([px, ev.noisy[i][..., 2:3]], axis=-1)
        lift2d[ev.noisy[i][..., 2] <= 0] = np.nan
        clips.append(AdaptClip.from_keypoints(lift2d, w, h, name=f"{ev.clip[i]}"))
    return clips


def evaluate(pose, sets: dict) -> dict:
    from lifting.train.validate import score

    out = {}
    for kind, groups in sets.items():
        s = score(pose, groups)
        out[kind] = {"all": s["all"], **s["source"]}
    return out


def product_check(out: Path, seconds: float, sets: dict) -> dict:
    """The shipped default lifter adapted to the sample clip's real MediaPipe keypoints for
    ``seconds`` (:func:`lifting.adapt.api.adapt`, as the sidebar option runs it), both scored
    on the whole validation split: adaptation to one clip must not cost more than 2 %."""
    from lifting.adapt.api import adapt
    from lifting.adapt.clips import AdaptClip
    from lifting.adapt.loop import AdaptConfig, Adapter
    from lifting.keypoints import extract_keypoints
    from lifting.mocap.dataset import load_split
    from lifting.models import registry

    track = extract_keypoints(ROOT / "tests" / "data" / "sample" / "walk.mp4", workers=1)
    result = adapt("default", track, seconds, cache_dir=out / "cache")
    shipped, _ = registry.load_model("default")
    adapted, _ = registry.load_model(result.name, result.directory)
    rows = {"shipped": evaluate(shipped, sets), "adapted": evaluate(adapted, sets)}
    # Control: as many steps of the supervised batches alone (the clip's weight 0).
    traj, _ = registry.load_model(registry.load_card("default")["trajectory_model"])
    clip = AdaptClip.from_keypoints(track.lift2d, track.width, track.height, fps=track.fps)
    control = Adapter(
        shipped, traj, [clip], load_split("train"), AdaptConfig(w_backproj=0.0, w_bone=0.0)
    )
    control.run(1e9, max_steps=result.summary["steps"])
    rows["control"] = evaluate(control.pose, sets)
    return {"summary": result.summary, "rows": rows}


def product_table(check: dict) -> str:
    lines = [
        "| tcn81 | val clean MPJPE / P-MPJPE | val noisy | Bandai noisy | CMU noisy |",
        "|---|---|---|---|---|",
    ]
    for k, m in check["rows"].items():

        def cell(kind, src, m=m):
            return f"{m[kind][src]['mpjpe']:.2f} / {m[kind][src]['p_mpjpe']:.2f}"

        lines.append(
            f"| {k} | {cell('clean', 'all')} | {cell('noisy', 'all')} | "
            f"{cell('noisy', 'bandai')} | {cell('noisy', 'cmu')} |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="out/adapt")
    ap.add_argument("--steps", type=int, default=1500, help="training steps of each small pair")
    ap.add_argument("--windows", type=int, default=48, help="CMU 2D windows to adapt to")
    ap.add_argument("--only-train", action="store_true")
    ap.add_argument("--redo", nargs="*", default=[], help="rows to compute again")
    ap.add_argument("--adapt-steps", type=int, default=1500, help="steps of every adapted row")
    ap.add_argument("--seed", type=int, default=0, help="adaptation seed (rows get a suffix)")
    ap.add_argument(
        "--product",
        type=float,
        default=0.0,
        help="only the product check: adapt the shipped lifter to the sample clip for this "
        "many seconds and score both on the validation split",
    )
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from lifting.adapt.loop import AdaptConfig, Adapter, backprojection_error
    from lifting.mocap.dataset import load_split
    from lifting.train.validate import build_validation_sets

    out = Path(args.out)
    if args.product:
        check = product_check(out, args.product, build_validation_sets(load_split("val")))
        (out / "product.json").write_text(json.dumps(check, indent=2))
        print(product_table(check))
        return 0
    train_clips = load_split("train")
    train(out, args.steps, train_clips)
    if args.only_train:
        return 0
    sets = build_validation_sets(load_split("val"))
    clips = target_clips([c for c in train_clips if c.source == "cmu"], args.windows)
    bandai = [c for c in train_clips if c.source == "bandai"]
    pose, traj = load_pair(out, "source")
    rows = {}

    def row(name, compute):
        """Each row is computed once and kept in <out>/rows/<name>.json (re-run with --redo)."""
        if args.seed and name != "source":
            name = f"{name}-seed{args.seed}"
        path = out / "rows" / f"{name}.json"
        if path.exists() and name not in args.redo:
            rows[name] = json.loads(path.read_text())
            return
        rows[name] = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rows[name], indent=2))
        print(name, json.dumps(rows[name]["metrics"]["noisy"]["cmu"]), flush=True)

    def source_row():
        return {
            "metrics": evaluate(pose, sets),
            "seconds": 0.0,
            "backproj": backprojection_error(pose, traj, clips),
        }

    def adapted_row(cfg, seconds=1e9, max_steps=None, source=bandai, weights=None):
        cfg.seed = args.seed

        def compute():
            ad = Adapter(pose, traj, clips, source, cfg, source_weights=weights)
            run = ad.run(seconds, max_steps=max_steps)
            return {
                "metrics": evaluate(ad.pose, sets),
                "seconds": run["seconds"],
                "steps": run["steps"],
                "backproj": backprojection_error(ad.pose, ad.traj, clips),
                "history": run["history"][-3:],
            }

        return compute

    row("source", source_row)
    # Every adapted row continues the source pair for the same number of steps. The control
    # gets the Bandai supervised batches alone (the clip windows still go through the model,
    # with zero weight), so a gain over it is adaptation, not extra training; the continued
    # upper bound gets supervised batches of Bandai + CMU 3D instead of the CMU 2D.
    n = args.adapt_steps
    row("supervised-only", adapted_row(AdaptConfig(w_backproj=0.0, w_bone=0.0), 1e9, n))
    row("backproj", adapted_row(AdaptConfig(), 1e9, n))
    # CMU is 6 % of the training frames: weighted so half the chunks are CMU, as half of what
    # the adapted rows see is CMU 2D.
    cmu = [c for c in train_clips if c.source == "cmu"]
    half = sum(len(c.joints) for c in bandai) / sum(len(c.joints) for c in cmu)
    row(
        "upper-continued",
        adapted_row(AdaptConfig(w_backproj=0.0, w_bone=0.0), 1e9, n, bandai + cmu, {"cmu": half}),
    )
    row("backproj+ts", adapted_row(AdaptConfig(teacher_student=True), 1e9, n))
    if args.seed:
        print(json.dumps({k: v["metrics"]["noisy"]["cmu"] for k, v in rows.items()}))
        return 0
    row("upper", lambda: {"metrics": evaluate(load_pair(out, "upper")[0], sets), "seconds": 0.0})
    result = {"args": vars(args), "rows": rows, "target_frames": sum(len(c.inputs) for c in clips)}
    (out / "adapt.json").write_text(json.dumps(result, indent=2))
    print(table(result))
    return 0


def table(result: dict) -> str:
    names = {
        "source": "source only (Bandai)",
        "supervised-only": "+ Bandai supervised batches only (control)",
        "backproj": "+ adapted: back-projection",
        "backproj+ts": "+ adapted: back-projection + teacher/student",
        "upper-continued": "+ same steps supervised on Bandai + CMU 3D (upper bound)",
        "upper": "supervised upper bound trained from scratch (Bandai + CMU 3D)",
    }
    lines = [
        "| model | CMU val noisy MPJPE / P-MPJPE | CMU val clean | Bandai val noisy | "
        "all val noisy | adapt s (steps) | 2D reproj. px |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, label in names.items():
        if k not in result["rows"]:
            continue
        r = result["rows"][k]
        m = r["metrics"]

        def cell(kind, src, m=m):
            return f"{m[kind][src]['mpjpe']:.1f} / {m[kind][src]['p_mpjpe']:.1f}"

        steps = f"{r['seconds']:.0f} ({r['steps']})" if "steps" in r else "-"
        bp = f"{r['backproj']['px']:.1f}" if "backproj" in r else "-"
        lines.append(
            f"| {label} | {cell('noisy', 'cmu')} | {cell('clean', 'cmu')} | "
            f"{cell('noisy', 'bandai')} | {cell('noisy', 'all')} | {steps} | {bp} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
