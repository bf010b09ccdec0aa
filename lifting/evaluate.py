"""``python -m lifting evaluate``: lifters on the validation split, as in the model cards.

Prints MPJPE, P-MPJPE, N-MPJPE (mm) and MPJVE (mm/frame) with clean synthetic 2D and with the
noise model, overall, per source and per action, for the chosen model beside its single-frame
baseline (trained on the same batches); the trajectory model's root error; and the effect of
pose-space augmentation (baseline trained with vs without it, same batches otherwise) on the
validation split and on constructed seated / crouched / kneeling poses.

Protocol: every validation frame once, in windows of about 4 s, each through its own seeded
camera (the same camera for clean and noisy 2D); each window is lifted as a clip of its own
(edge padding, mirror test-time augmentation).
"""

from __future__ import annotations

import json
from pathlib import Path

METRICS = ("mpjpe", "p_mpjpe", "n_mpjpe", "mpjve")
HEADER = f"{'':34s} {'frames':>7s} {'MPJPE':>7s} {'P-MPJPE':>8s} {'N-MPJPE':>8s} {'MPJVE':>6s}"


def add_arguments(parser) -> None:
    parser.add_argument("--model", default="default", help="pose model name (default: %(default)s)")
    parser.add_argument(
        "--weights-dir", default=None, help="folder of weights + cards (default: the bundled ones)"
    )
    parser.add_argument("--no-actions", action="store_true", help="skip the per-action tables")
    parser.add_argument("--no-constructed", action="store_true", help="skip constructed poses")
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the table of all bundled lifters"
    )
    parser.add_argument("--json", default=None, help="also write all figures to this JSON file")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--mocap-dir", default=None)
    parser.add_argument("--cache-dir", default=None)


def row(label: str, m: dict) -> str:
    return (
        f"{label:34s} {m['frames']:7d} {m['mpjpe']:7.1f} {m['p_mpjpe']:8.1f} "
        f"{m['n_mpjpe']:8.1f} {m['mpjve']:6.2f}"
    )


def load_models(model: str, directory: Path | None) -> dict:
    """``{role: (name, model)}`` for the pose model and the models its card names."""
    from .models import registry

    pose, card = registry.load_model(model, directory)
    out = {"pose": (card["name"], pose)}
    for role, key in (
        ("trajectory", "trajectory_model"),
        ("baseline", "baseline_model"),
        ("baseline-noaug", "ablation_model"),
    ):
        name = card.get(key)
        if key == "ablation_model" and not name and card.get("baseline_model"):
            name = f"{card['baseline_model']}-noaug"
        if name and name in registry.available(directory or registry.WEIGHTS_DIR):
            out[role] = (name, registry.load_model(name, directory)[0])
    return out


def evaluate(models: dict, val_clips: list, *, constructed: bool = True) -> dict:
    """All figures: ``{"clean"|"noisy": {role: score}, "trajectory": ..., "constructed": ...}``."""
    from .train.validate import build_validation_sets, score, score_trajectory

    sets = build_validation_sets(val_clips)
    result: dict = {"models": {role: name for role, (name, _) in models.items()}}
    for kind, groups in sets.items():
        result[kind] = {
            role: score(m, groups) for role, (_, m) in models.items() if role != "trajectory"
        }
        if "trajectory" in models:
            result.setdefault("trajectory", {})[kind] = score_trajectory(
                models["trajectory"][1], groups
            )
    if constructed:
        from .train.constructed_poses import constructed_poses

        cp = constructed_poses(val_clips, per_kind=4, frames=90)
        groups = build_validation_sets(cp, window=90)["clean"]
        result["constructed"] = {
            role: score(m, groups)["action"]
            for role, (_, m) in models.items()
            if role != "trajectory"
        }
    return result


def print_report(result: dict, *, actions: bool = True) -> None:
    names = result["models"]
    for kind in ("clean", "noisy"):
        print(f"\n== validation split, {kind} 2D ==\n{HEADER}")
        for role, s in result[kind].items():
            print(row(f"{names[role]} ({role})", s["all"]))
        print(f"-- per source --\n{HEADER}")
        for role, s in result[kind].items():
            for src, m in s["source"].items():
                print(row(f"{names[role]} {src}", m))
    if "trajectory" in result:
        print(f"\n== trajectory model {names['trajectory']} (root, camera frame) ==")
        for kind, t in result["trajectory"].items():
            print(
                f"{kind:6s} root error {t['root_error_mm']:7.1f} mm   "
                f"depth error {t['depth_error_pct']:5.1f} %"
            )
    if actions:
        for kind in ("clean", "noisy"):
            print(f"\n== per action, {kind} 2D ==\n{HEADER}")
            pose, base = result[kind]["pose"], result[kind].get("baseline")
            for act, m in pose["action"].items():
                print(row(f"{names['pose']} {act[:24]}", m))
                if base is not None:
                    print(row(f"{names['baseline']} {act[:24]}", base["action"][act]))
    if "constructed" in result:
        print(f"\n== constructed poses (clean 2D; not in any training data) ==\n{HEADER}")
        for role, per_kind in result["constructed"].items():
            for kind, m in per_kind.items():
                print(row(f"{names[role]} {kind}", m))


def main(args) -> int:
    import torch

    from .mocap.dataset import load_split

    torch.set_num_threads(args.threads)
    directory = Path(args.weights_dir) if args.weights_dir else None
    models = load_models(args.model, directory)
    val = load_split("val", fps=30, mocap_dir=args.mocap_dir, cache_dir=args.cache_dir)
    result = evaluate(models, val, constructed=not args.no_constructed)
    print_report(result, actions=not args.no_actions)
    if not args.no_compare:
        from .train.compare import compare, format_table
        from .train.validate import build_validation_sets

        result["lifters"] = compare(build_validation_sets(val), directory)
        print("\n== all bundled lifters side by side, validation split ==")
        print(format_table(result["lifters"]))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0
