"""Training-data benchmark: mocap loading (cold vs cached) and synthetic-batch throughput.

Figures, measured in one run on one core (OMP/MKL threads set to 1 by this script):

- ``load_split("train")`` cold (BVH parse + FK + mapping + resampling, empty cache folder)
  and warm (npz cache); ratio cold / warm;
- :func:`lifting.train.synth.make_batch` frames/s, clean 2D (the baseline: cameras +
  projection only) and with the MediaPipe-shaped noise model; ratio;
- :func:`lifting.train.augment.augment_poses` on every window, frames/s, as a ratio to the
  clean baseline.

    ./run python bench/data.py [--batch 64] [--frames 243] [--seconds 5]
                               [--out out/bench/data.json]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a script; product code never does this
    sys.path.insert(0, str(ROOT))

from lifting.mocap.dataset import load_split  # noqa: E402
from lifting.train.augment import augment_poses  # noqa: E402
from lifting.train.synth import make_batch  # noqa: E402


def windows_from(clips, batch: int, frames: int, rng) -> np.ndarray:
    """Random windows (B, frames, 21, 3), short clips edge-padded."""
    out = []
    for i in rng.integers(0, len(clips), batch):
        j = clips[i].joints
        s = int(rng.integers(0, max(1, len(j) - frames)))
        w = j[s : s + frames]
        out.append(np.concatenate([w, np.repeat(w[-1:], frames - len(w), 0)]))
    return np.stack(out)


def rate(fn, frames: int, seconds: float) -> float:
    """Frames per second of ``fn()`` (each call handles ``frames`` frames), best of repeats."""
    fn()  # warm up
    best, start = np.inf, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return frames / best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--frames", type=int, default=243)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--out", default="out/bench/data.json")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        clips = load_split("train", cache_dir=cache)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        load_split("train", cache_dir=cache)
        warm = time.perf_counter() - t
    frames_total = sum(len(c.joints) for c in clips)
    rng = np.random.default_rng(0)
    w = windows_from(clips, args.batch, args.frames, rng)
    n = args.batch * args.frames
    clean = rate(lambda: make_batch(w, rng, noise=False), n, args.seconds)
    noisy = rate(lambda: make_batch(w, rng, noise=True), n, args.seconds)
    aug = rate(lambda: augment_poses(w, rng), n, args.seconds)
    result = {
        "train_clips": len(clips),
        "train_frames_30fps": frames_total,
        "load_cold_s": round(cold, 2),
        "load_warm_s": round(warm, 3),
        "load_cold_over_warm": round(cold / warm, 1),
        "batch": [args.batch, args.frames],
        "make_batch_clean_frames_per_s": round(clean),
        "make_batch_noisy_frames_per_s": round(noisy),
        "noisy_over_clean_time": round(clean / noisy, 2),
        "augment_poses_frames_per_s": round(aug),
        "augment_over_clean_time": round(clean / aug, 2),
    }
    for k, v in result.items():
        print(f"{k:32s} {v}")
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
