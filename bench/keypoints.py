"""Keypoint extraction speed: a bare MediaPipe loop vs extract_keypoints (1 and all workers).

All three run in one process, on the same clip, in the same run, interleaved over rounds so a
change in machine load hits them alike; each figure is frames per second of wall time from
opening the video to having every frame's landmarks (extract_keypoints also maps them to the
lift layout and builds the Track2D; no cache). The clip is the sample clip repeated until it
lasts at least ``--seconds`` (re-encoded once into a temporary MP4 with OpenCV).

    ./run python -m bench.keypoints [--clip tests/data/sample/walk.mp4] [--seconds 12]

Prints a table and writes ``out/bench/keypoints.json`` and ``.png``. Never passes or fails on
time. Goals (issue 3): one worker ≥ 0.95x the bare loop; all workers ≥ 1.7x on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out" / "bench"


def looped_clip(clip: Path, seconds: float, dst: Path) -> tuple[Path, int, float]:
    """Write ``clip`` repeated to at least ``seconds`` into ``dst``: (path, frames, fps)."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if not frames:
        raise SystemExit(f"cannot read {clip}")
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    n = 0
    while n < seconds * fps:
        for frame in frames:
            writer.write(frame)
            n += 1
    writer.release()
    return dst, n, fps


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children (workers)."""
    import resource

    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bare_loop(video: Path) -> tuple[float, int]:
    """MediaPipe as its documentation shows it: read, convert to RGB, process. (seconds, n)."""
    import cv2
    import mediapipe as mp

    started = time.perf_counter()
    cap = cv2.VideoCapture(str(video))
    n = 0
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            n += 1
    cap.release()
    return time.perf_counter() - started, n


def ours(video: Path, workers: int) -> tuple[float, int]:
    from lifting.keypoints import extract_keypoints

    started = time.perf_counter()
    track = extract_keypoints(video, workers=workers)
    return time.perf_counter() - started, len(track)


def accuracy(clip: Path) -> dict | None:
    """2D error (px) of extract_keypoints on ``clip`` against the ground truth beside it."""
    import numpy as np

    from lifting.keypoints import extract_keypoints
    from lifting.skeleton import LIFT_JOINTS

    truth_path = clip.with_suffix(".npz")
    if not truth_path.exists():
        return None
    with np.load(truth_path) as data:
        truth = data["joints_2d"]
    track = extract_keypoints(clip, workers=1)
    rows = track.frame_indices[track.detected]
    errors = np.linalg.norm(track.lift2d[track.detected, :, :2] - truth[rows], axis=-1)
    extent = truth[..., 1].max(1) - truth[..., 1].min(1)
    return {
        "frames": len(track),
        "detected_fraction": float(track.detected.mean()),
        "body_height_px": float(np.median(extent)),
        "median_px": {n: float(np.median(errors[:, j])) for j, n in enumerate(LIFT_JOINTS)},
        "median_px_all": float(np.median(errors)),
        "p90_px_all": float(np.percentile(errors, 90)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=ROOT / "tests/data/sample/walk.mp4")
    parser.add_argument("--seconds", type=float, default=12.0, help="minimum clip length")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each variant")
    args = parser.parse_args(argv)
    from lifting.keypoints.parallel import default_workers

    cores = default_workers()
    load_before = os.getloadavg()
    runs: dict[str, list[float]] = {"bare": [], "one": [], "all": []}
    cpu_ms: dict[str, list[float]] = {"bare": [], "one": [], "all": []}
    with tempfile.TemporaryDirectory() as tmp:
        video, n, fps = looped_clip(args.clip, args.seconds, Path(tmp) / "looped.mp4")
        print(f"clip: {args.clip.name} looped to {n} frames ({n / fps:.1f} s at {fps:g} fps)")
        ours(video, 1)  # warm the file cache and imports; not timed
        for _ in range(args.rounds):
            for name, run in (
                ("bare", lambda: bare_loop(video)),
                ("one", lambda: ours(video, 1)),
                ("all", lambda: ours(video, cores)),
            ):
                cpu = cpu_seconds()
                seconds, frames = run()
                cpu_ms[name].append((cpu_seconds() - cpu) / n * 1000)
                assert frames == n, (name, frames, n)
                runs[name].append(n / seconds)
                print(
                    f"  {name:5s} {n / seconds:6.1f} frames/s, "
                    f"{cpu_ms[name][-1]:.1f} CPU ms/frame (all processes)"
                )
    load_after = os.getloadavg()
    quality = accuracy(args.clip)
    best = {name: max(values) for name, values in runs.items()}
    result = {
        "clip": str(args.clip.relative_to(ROOT) if args.clip.is_relative_to(ROOT) else args.clip),
        "frames": n,
        "seconds_of_video": n / fps,
        "cores": cores,
        "workers_all": cores,
        "fps_runs": runs,
        "cpu_ms_per_frame_runs": cpu_ms,
        "fps_best": best,
        "ratio_one_vs_bare": best["one"] / best["bare"],
        "ratio_all_vs_bare": best["all"] / best["bare"],
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "machine": platform.processor() or platform.machine(),
        "accuracy": quality,
    }
    print(
        f"best of {args.rounds}: bare {best['bare']:.1f}, one worker {best['one']:.1f} "
        f"({result['ratio_one_vs_bare']:.2f}x), {cores} workers {best['all']:.1f} "
        f"({result['ratio_all_vs_bare']:.2f}x) frames/s; load average before "
        f"{load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    if quality:
        print(
            f"2D error vs ground truth ({quality['frames']} frames, person in "
            f"{quality['detected_fraction']:.1%}): median {quality['median_px_all']:.1f} px, "
            f"p90 {quality['p90_px_all']:.1f} px (body {quality['body_height_px']:.0f} px tall)"
        )
        print("  " + ", ".join(f"{k} {v:.1f}" for k, v in quality["median_px"].items()))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "keypoints.json").write_text(json.dumps(result, indent=1))
    plot(result, OUT / "keypoints.png")
    print(f"wrote {OUT / 'keypoints.json'} and keypoints.png")
    return 0


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["bare MediaPipe loop", "extract_keypoints, 1 worker", "extract_keypoints, all"]
    values = [result["fps_best"][k] for k in ("bare", "one", "all")]
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.barh(names, values, color=["0.6", "C0", "C1"])
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.1f} ({v / values[0]:.2f}x)", va="center")
    ax.set_xlabel(f"frames/s ({result['frames']} frames, {result['cores']} cores)")
    ax.set_xlim(0, max(values) * 1.35)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
