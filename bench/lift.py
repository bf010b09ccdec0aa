"""Lifter speed: the shipped model over a whole clip vs the single-frame baseline, same run.

Frames per second of

1. ``lifting.inference.lift`` end to end with the bundled default model (pose model + trajectory
   model, edge padding, mirror test-time augmentation) over one long clip;
2. the pose TCN alone over the same clip (one dilated pass, no mirroring);
3. the single-frame baseline (residual MLP) over the same frames, with and without mirroring.

Runs are interleaved (machines are shared and noisy): the figure that counts is each model's
median and the ratio to the baseline measured in the same run. Frames per CPU-second of this
process are printed too: on a loaded machine the wall-clock rate measures the other jobs.
Writes JSON.

    ./run python bench/lift.py [--frames 20000] [--repeats 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a script; product code never does this
    sys.path.insert(0, str(ROOT))


def clip_keypoints(frames: int, seed: int = 0) -> tuple[np.ndarray, int, int]:
    """A long synthetic clip (T, 21, 3) px + confidence: validation mocap, looped."""
    from lifting.camera import unnormalize_screen
    from lifting.mocap.dataset import load_split
    from lifting.train.synth import make_batch

    val = load_split("val", fps=30)
    joints = np.concatenate([c.joints for c in val])[:frames]
    reps = int(np.ceil(frames / len(joints)))
    joints = np.concatenate([joints] * reps)[:frames]
    b = make_batch(joints[None], np.random.default_rng(seed), noise=True, mirror_p=0.0)
    w, h = (int(v) for v in b["size"][0])
    px = unnormalize_screen(b["inputs"][0, ..., :2], w, h)
    return np.concatenate([px, b["inputs"][0, ..., 2:]], -1).astype(np.float32), w, h


def timed(fn) -> tuple[float, float]:
    """``(wall seconds, CPU seconds of this process)`` of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", default="out/bench/lift.json")
    args = parser.parse_args(argv)

    import torch

    from lifting.inference import lift, prepare_inputs
    from lifting.models import registry
    from lifting.models.sequence import predict_sequence

    torch.set_num_threads(args.threads)
    kp, w, h = clip_keypoints(args.frames)
    x = torch.from_numpy(prepare_inputs(kp, w, h))[None]
    pose, card = registry.load_model(args.model)
    baseline, _ = registry.load_model(card["baseline_model"])
    runs = {
        "lift() end to end (pose + trajectory, mirror TTA)": lambda: lift(kp, w, h, device="cpu"),
        "pose TCN, one pass": lambda: predict_sequence(pose, x, mirror=False),
        "pose TCN, mirror TTA": lambda: predict_sequence(pose, x, mirror=True),
        "single-frame baseline, one pass": lambda: predict_sequence(baseline, x, mirror=False),
        "single-frame baseline, mirror TTA": lambda: predict_sequence(baseline, x, mirror=True),
    }
    for fn in runs.values():  # warm-up (lazy imports, allocator)
        fn()
    times = {k: [] for k in runs}
    cpu = {k: [] for k in runs}
    for _ in range(args.repeats):
        for k, fn in runs.items():
            wall, used = timed(fn)
            times[k].append(wall)
            cpu[k].append(used)
    base = statistics.median(times["single-frame baseline, one pass"])
    result = {
        "frames": args.frames,
        "threads": args.threads,
        "model": card["name"],
        "receptive_field": card["receptive_field"],
        "baseline": card["baseline_model"],
        "runs": {},
    }
    print(
        f"{args.frames} frames, {args.threads} threads, model {card['name']} "
        f"(RF {card['receptive_field']}), baseline {card['baseline_model']}"
    )
    for k, ts in times.items():
        med = statistics.median(ts)
        fps = args.frames / med
        per_cpu = args.frames / statistics.median(cpu[k])
        result["runs"][k] = {
            "median_s": med,
            "frames_per_s": fps,
            "frames_per_cpu_s": per_cpu,
            "vs_baseline": base / med,
        }
        print(
            f"{k:52s} {fps:10,.0f} frames/s  {per_cpu:10,.0f} frames/CPU-s  "
            f"{base / med:5.2f}x baseline speed"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
