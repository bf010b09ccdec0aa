"""Mesh net: train coarse-to-fine and direct upsampling in one run, same data and steps, and
compare accuracy on the validation split, inference frames/s and activation memory.

Pose2Mesh's ablation (coarse-to-fine vs upsampling from the coarsest level straight to the
mesh) on our body: both variants get the same seed, batches, steps and channels; the direct
variant runs every block at the output level. Also the reference a mesh net should beat: the
body IK-fitted to the (noisy) 3D input joints.

Run (CPU, one thread, under nice while other work runs):
``nice -n 10 ./run python bench/meshnet.py [--steps 500] [--batch 32] [--save]
[--variants coarse_to_fine]``; writes ``out/bench/meshnet.json`` (both variants) or
``meshnet_<variant>.json``; ``--save`` writes the coarse-to-fine weights and model card to
``lifting/bodies/meshnet.npz`` / ``.json``. Never pass/fail on time.

``--lifted``: instead, the bundled net on the validation split with the default lifter's real
outputs as its 3D input (``lifting.inference.lift`` on the lifter validation protocol's noisy
2D, ``meshnet_lifted.lifted_samples``) versus ground truth + noise from the same 2D, in one run;
``--finetune-minutes M`` also fine-tunes a copy (warm start) on lifter outputs of a quarter of
the training clips and scores it the same way (``--save`` then writes it with its card to
``out/bench/meshnet_finetuned.npz``; copy both to ``lifting/bodies/meshnet.*`` to bundle it).
Writes ``out/bench/meshnet_lifted.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "out" / "bench"

from lifting.bodies import load_body  # noqa: E402
from lifting.mocap.dataset import load_split  # noqa: E402
from lifting.train.meshnet_train import (  # noqa: E402
    MeshNetConfig,
    MeshNetSetup,
    evaluate,
    fit_baseline,
    save_weights,
    train,
    validation_set,
)


def activation_mb(net, inputs) -> float:
    """MB of tensors autograd saves for the backward pass of one forward (training memory)."""
    total = [0]

    def pack(t):
        total[0] += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        net(inputs)
    return total[0] / 1e6


@torch.no_grad()
def frames_per_second(net, inputs, repeats: int = 5) -> float:
    net.eval()
    net(inputs)
    t0 = time.perf_counter()
    for _ in range(repeats):
        net(inputs)
    net.train()
    return repeats * len(inputs) / (time.perf_counter() - t0)


def numpy_frames_per_second(net, inputs: np.ndarray, repeats: int = 5) -> float:
    """Frames/s of the NumPy forward pass (``meshnet_numpy``) on ``inputs (B, 21, 6)``."""
    net(inputs)
    t0 = time.perf_counter()
    for _ in range(repeats):
        net(inputs)
    return repeats * len(inputs) / (time.perf_counter() - t0)


def numpy_peak_mb(net, inputs: np.ndarray) -> float:
    """Peak MB NumPy allocates (tracemalloc) during one NumPy forward pass on ``inputs``."""
    import tracemalloc

    tracemalloc.start()
    try:
        net(inputs)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--val-frames", type=int, default=1000)
    parser.add_argument("--save", action="store_true", help="write the coarse-to-fine weights")
    parser.add_argument("--max-minutes", type=float, help="stop each training after this long")
    parser.add_argument(
        "--variants",
        default="coarse_to_fine,direct",
        help="comma-separated upsampling variants to train (default: both, the ablation)",
    )
    parser.add_argument("--lifted", action="store_true", help="lifter-output inputs (see above)")
    parser.add_argument("--val-stride", type=int, default=4, help="--lifted: every n-th frame")
    parser.add_argument("--finetune-minutes", type=float, default=0.0)
    parser.add_argument("--finetune-steps", type=int, default=2000)
    parser.add_argument(
        "--match-scale",
        action="store_true",
        help="fine-tune towards targets scaled to the lifter's size (meshnet_lifted.finetune)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.lifted:
        return lifted_main(args)
    model = load_body()
    train_clips, val_clips = load_split("train"), load_split("val")
    results = {"command": " ".join(sys.argv), "variants": {}}
    net_c2f = None
    variants = args.variants.split(",")
    for upsampling in variants:
        config = MeshNetConfig(upsampling=upsampling, steps=args.steps, batch=args.batch)
        setup = MeshNetSetup(model, config)
        val = validation_set(setup, val_clips, args.val_frames)
        if "fit_baseline" not in results:
            results["fit_baseline"] = fit_baseline(setup, val)
            results["vertices"] = len(setup.levels[config.out_level].vertices)
            print("IK fit to the noisy 3D inputs:", results["fit_baseline"])
        t0 = time.perf_counter()
        budget = args.max_minutes * 60 if args.max_minutes else None
        net, history = train(setup, train_clips, max_seconds=budget)
        seconds = time.perf_counter() - t0
        probe = val["inputs"][:32]
        row = {
            **evaluate(net, setup, val),
            "train_seconds": seconds,
            "steps": len(history),
            "params": sum(p.numel() for p in net.parameters()),
            "activation_mb_per_frame": activation_mb(net, probe) / len(probe),
            "frames_per_second": frames_per_second(net, val["inputs"][:64]),
            "final_train_vertex_mm": 1000 * float(np.mean([h["vertex"] for h in history[-50:]])),
        }
        results["variants"][upsampling] = row
        print(upsampling, json.dumps(row))
        if upsampling == "coarse_to_fine":
            net_c2f, config_c2f, row_c2f = net, config, row
    if len(results["variants"]) == 2:
        c2f, direct = results["variants"]["coarse_to_fine"], results["variants"]["direct"]
        results["ratios_direct_over_c2f"] = {
            k: direct[k] / c2f[k]
            for k in ("train_seconds", "activation_mb_per_frame", "frames_per_second", "mpve_mm")
        }
        print("direct / coarse-to-fine:", json.dumps(results["ratios_direct_over_c2f"]))
    OUT.mkdir(parents=True, exist_ok=True)
    name = "meshnet.json" if len(variants) == 2 else f"meshnet_{'_'.join(variants)}.json"
    (OUT / name).write_text(json.dumps(results, indent=2) + "\n")
    if args.save and net_c2f is not None:
        card = {
            "summary": "Mesh net (Pose2Mesh-style) for the default body: 2D + lifted 3D joints "
            "to the decimated body mesh",
            "body": model.name,
            "output_vertices": results["vertices"],
            "validation": row_c2f,
            "fit_baseline": results["fit_baseline"],
            "trained_with": results["command"],
        }
        save_weights(net_c2f, config_c2f, ROOT / "lifting" / "bodies" / "meshnet.npz", card)
    return 0


def lifted_main(args) -> int:
    """The ``--lifted`` run (module docstring)."""
    import copy

    from lifting.bodies.meshnet_infer import WEIGHTS, load_meshnet
    from lifting.models import registry
    from lifting.train.meshnet_lifted import finetune, lifted_samples, scores
    from lifting.train.meshnet_train import load_weights

    card = json.loads(WEIGHTS.with_suffix(".json").read_text())
    config = MeshNetConfig(**card["config"])
    setup = MeshNetSetup(load_body(), config)
    net = load_weights(setup, WEIGHTS)
    lifter = registry.resolve("default")
    results = {"command": " ".join(sys.argv), "lifter": lifter, "rows": {}}
    t0 = time.perf_counter()
    val = lifted_samples(setup.body, load_split("val"), stride=args.val_stride)
    results["val_frames"], results["lifter_mpjpe_mm"] = val["frames"], val["lifter_mpjpe_mm"]
    results["val_seconds"] = time.perf_counter() - t0
    print(f"validation: {val['frames']} frames, lifter MPJPE {val['lifter_mpjpe_mm']:.1f} mm")
    probe = val["lifted"]["inputs"][:32]  # the batch predict_vertices uses
    numpy_net = load_meshnet().net  # what the shipped extension runs
    numpy_fps = numpy_frames_per_second(numpy_net, probe.numpy())
    results["speed"] = {
        "torch_fps": frames_per_second(net, probe),
        "numpy_fps": numpy_fps,
        "numpy_peak_mb_per_batch": numpy_peak_mb(numpy_net, probe.numpy()),
        "batch": len(probe),
    }
    results["speed"]["numpy_over_torch"] = numpy_fps / results["speed"]["torch_fps"]
    print("speed", results["speed"])
    factor = val["lifted"]["scale"][:, None, None]
    val["lifted_scaled"] = {  # targets at the size the lifter gave the body
        **val["lifted"],
        "vertices": factor * val["lifted"]["vertices"],
        "joints": factor * val["lifted"]["joints"],
    }
    for kind in ("gt_noise", "lifted", "lifted_scaled"):
        results["rows"][f"ik_fit/{kind}"] = fit_baseline(setup, val[kind])
        results["rows"][f"bundled/{kind}"] = scores(net, setup, val[kind])
        print(kind, results["rows"][f"ik_fit/{kind}"], results["rows"][f"bundled/{kind}"])
    if args.finetune_minutes > 0:
        t0 = time.perf_counter()
        train_clips = load_split("train")
        train = lifted_samples(setup.body, train_clips[::4], stride=2, seed=1)
        results["finetune_train_frames"] = train["frames"]
        tuned = copy.deepcopy(net)
        budget = args.finetune_minutes * 60 - (time.perf_counter() - t0)
        history = finetune(
            setup, tuned, train["lifted"], train_clips, steps=args.finetune_steps,
            max_seconds=budget, match_scale=args.match_scale,
        )  # fmt: skip
        results["finetune_steps"] = len(history)
        results["finetune_seconds"] = time.perf_counter() - t0
        for kind in ("gt_noise", "lifted", "lifted_scaled"):
            results["rows"][f"finetuned/{kind}"] = scores(tuned, setup, val[kind])
            print("fine-tuned", kind, results["rows"][f"finetuned/{kind}"])
        if args.save:
            card = {k: v for k, v in card.items() if k not in ("format_version", "config")}
            card["finetuned_on_lifter"] = {
                "lifter": lifter,
                "steps": len(history),
                "train_frames": train["frames"],
                "validation": {k: v for k, v in results["rows"].items() if "finetuned" in k},
                "command": results["command"],
            }
            standard = validation_set(setup, load_split("val"), args.val_frames)
            card["validation"] = {**card["validation"], **evaluate(tuned, setup, standard)}
            OUT.mkdir(parents=True, exist_ok=True)
            name = "meshnet_finetuned_scaled.npz" if args.match_scale else "meshnet_finetuned.npz"
            save_weights(tuned, config, OUT / name, card)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "meshnet_lifted_scaled.json" if args.match_scale else "meshnet_lifted.json"
    (OUT / name).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
