"""Keypoint extraction speed: a bare MediaPipe loop vs extract_keypoints (1 and all workers).

All three are started from one process, on the same clip, in the same run, interleaved over
rounds so a change in machine load hits them alike; each figure is frames per second of wall
time from opening the video to having every frame's landmarks (extract_keypoints also maps them
to the lift layout and builds the Track2D; no cache; "all" includes starting the workers).
The clip is the sample clip repeated until it lasts at least each of ``--seconds``
(re-encoded once into a temporary MP4 with OpenCV).

    ./run python -m bench.keypoints [--clip tests/data/sample/walk.mp4] [--seconds 10 30]

Prints a table and writes ``out/bench/keypoints.json`` and ``.png``. Never passes or fails on
time. Goals (issue 3): one worker ≥ 0.95x the bare loop; all workers ≥ 1.7x on 2 cores.

    ./run python -m bench.keypoints --seam [--warmups 0 5 10 15 20 30]

measures instead how far a worker's rows stray from a single process's after a hand-over, for
each warm-up length: the clip played twice, tracked once whole, then from several hand-over
frames after that many warm-up frames; writes ``keypoints_seam.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

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


def cpu_seconds(who: str = "all") -> float:
    """User + system CPU time of this process and/or its finished children (workers)."""
    import resource

    kinds = {"self": (resource.RUSAGE_SELF,), "children": (resource.RUSAGE_CHILDREN,)}
    usages = [resource.getrusage(k) for k in kinds.get(who, sum(kinds.values(), ()))]
    return sum(u.ru_utime + u.ru_stime for u in usages)


class WorkerCpu(logging.Handler):
    """Collects the per-phase worker CPU records of lifting.keypoints.parallel."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.phases: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "worker_cpu"):
            self.phases.append(record.worker_cpu)


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


def measure(video: Path, n: int, cores: int, rounds: int) -> dict:
    """Interleaved runs of the three variants on ``video`` (n frames): fps and CPU per frame."""
    fps: dict[str, list[float]] = {"bare": [], "one": [], "all": []}
    cpu_ms: dict[str, list[float]] = {"bare": [], "one": [], "all": []}
    children_ms: list[float] = []  # of "all": the workers' share of cpu_ms
    main_row_ms: list[float] = []  # of "all": this process's CPU per row it tracked itself
    workers = WorkerCpu()
    log = logging.getLogger("lifting.keypoints.parallel")
    log.addHandler(workers)
    log.setLevel(logging.DEBUG)
    variants = (
        ("bare", lambda: bare_loop(video)),
        ("one", lambda: ours(video, 1)),
        ("all", lambda: ours(video, cores)),
    )
    for _ in range(rounds):
        for name, run in variants:
            cpu, children, logged = cpu_seconds(), cpu_seconds("children"), len(workers.phases)
            seconds, frames = run()
            cpu_ms[name].append((cpu_seconds() - cpu) / n * 1000)
            assert frames == n, (name, frames, n)
            fps[name].append(n / seconds)
            print(f"  {name:5s} {n / seconds:6.1f} frames/s, {cpu_ms[name][-1]:.1f} CPU ms/frame")
            if name == "all":
                children_ms.append((cpu_seconds("children") - children) / n * 1000)
                phases = workers.phases[logged:]
                own_rows = min((p["first"] for p in phases), default=n)
                main_row_ms.append((cpu_ms[name][-1] - children_ms[-1]) * n / own_rows)
                print(f"        this process: {own_rows} rows, {main_row_ms[-1]:.1f} CPU ms/row")
                for p in phases:
                    print(
                        f"        worker CPU-s: start {p['start']:.3f}, to its first row "
                        f"{p['to_first_row']:.3f} (warm-up frames {p['warm']}-{p['first']}), "
                        f"{p['rows'] - 1} other rows {p['other_rows']:.3f}; "
                        f"its rows came {p['finish_gap_s']:+.2f} s after this process's"
                    )
    log.removeHandler(workers)
    best = {name: max(values) for name, values in fps.items()}
    paired = {  # each round's ratio: runs next to each other share the machine's load
        k: float(np.median(np.array(fps[k]) / np.array(fps["bare"]))) for k in ("one", "all")
    }
    return {
        "frames": n,
        "fps_runs": fps,
        "cpu_ms_per_frame_runs": cpu_ms,  # all processes, workers included
        "cpu_ms_per_frame_all_workers_runs": children_ms,  # of "all", in worker processes
        "cpu_ms_per_own_row_all_main_runs": main_row_ms,  # of "all", the calling process
        "worker_cpu_s_by_phase": workers.phases,  # lifting.keypoints.parallel DEBUG records
        "fps_best": best,
        "ratio_one_vs_bare": best["one"] / best["bare"],
        "ratio_all_vs_bare": best["all"] / best["bare"],
        "paired_ratio_median": paired,
    }


def seam_study(clip: Path, warmups: list[int], span: int = 60) -> dict:
    """2D gap (px, lift joints) between a worker's first ``span`` rows and a single process."""
    from lifting.keypoints.blazepose import to_lift
    from lifting.keypoints.extract import DetectorSettings
    from lifting.keypoints.parallel import Plan, run_range

    with tempfile.TemporaryDirectory() as tmp:
        video, n, fps = looped_clip(clip, 2 * clip_seconds(clip), Path(tmp) / "twice.mp4")
        plan = Plan(str(video), 0, n, 1, fps, DetectorSettings())
        whole, _ = run_range(plan, 0, 0, n)
        reference = to_lift(whole["keypoints"], whole["keypoints"][..., 2])
        seams = np.linspace(span, n - span, 5).astype(int).tolist()
        result = {"clip": str(clip), "frames": n, "seams": seams, "span": span, "warmups": {}}
        for warmup in warmups:
            gaps = []
            for seam in seams:
                rows, _ = run_range(plan, max(0, seam - warmup), seam, seam + span)
                lift = to_lift(rows["keypoints"], rows["keypoints"][..., 2])
                gap = np.linalg.norm(lift[..., :2] - reference[seam : seam + span, :, :2], axis=-1)
                gap[~(rows["detected"] & whole["detected"][seam : seam + span])] = np.nan
                gaps.append(gap)
            gap = np.stack(gaps)  # (seams, span, joints)
            figures = {
                "median_px": float(np.nanmedian(gap)),
                "p95_px": float(np.nanpercentile(gap, 95)),
                "first10_median_px": float(np.nanmedian(gap[:, :10])),
                "first10_p95_px": float(np.nanpercentile(gap[:, :10], 95)),
            }
            result["warmups"][warmup] = figures
            print(
                f"  warm-up {warmup:3d}: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items())
            )
    return result


def clip_seconds(clip: Path) -> float:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    seconds = cap.get(cv2.CAP_PROP_FRAME_COUNT) / (cap.get(cv2.CAP_PROP_FPS) or 30.0)
    cap.release()
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=ROOT / "tests/data/sample/walk.mp4")
    parser.add_argument(
        "--seconds", type=float, nargs="+", default=[10.0, 30.0], help="minimum clip lengths"
    )
    parser.add_argument("--rounds", type=int, default=2, help="runs of each variant")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for keypoints.json/.png")
    parser.add_argument("--seam", action="store_true", help="hand-over gap vs warm-up length")
    parser.add_argument("--warmups", type=int, nargs="+", default=[0, 5, 10, 15, 20, 30])
    args = parser.parse_args(argv)
    if args.seam:
        print(f"{args.clip.name} played twice: worker rows vs one process (px, lift joints)")
        seam = seam_study(args.clip, args.warmups)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "keypoints_seam.json").write_text(json.dumps(seam, indent=1))
        return 0
    from lifting.keypoints.parallel import default_workers

    cores = default_workers()
    result = {
        "clip": str(args.clip.relative_to(ROOT) if args.clip.is_relative_to(ROOT) else args.clip),
        "cores": cores,
        "workers_all": cores,
        "rounds": args.rounds,
        "machine": platform.processor() or platform.machine(),
        "loadavg_before": os.getloadavg(),
        "lengths": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in args.seconds:
            video, n, fps = looped_clip(args.clip, seconds, Path(tmp) / f"looped{seconds:g}.mp4")
            print(f"{args.clip.name} looped to {n} frames ({n / fps:.1f} s at {fps:g} fps)")
            ours(video, 1)  # warm the file cache and imports; not timed
            length = {"seconds_of_video": n / fps, **measure(video, n, cores, args.rounds)}
            result["lengths"].append(length)
            best = length["fps_best"]
            print(
                f"  best of {args.rounds}: bare {best['bare']:.1f}, one worker {best['one']:.1f} "
                f"({length['ratio_one_vs_bare']:.2f}x), {cores} workers {best['all']:.1f} "
                f"({length['ratio_all_vs_bare']:.2f}x) frames/s; median of per-round ratios: "
                f"one {length['paired_ratio_median']['one']:.2f}x, "
                f"all {length['paired_ratio_median']['all']:.2f}x"
            )
    result["loadavg_after"] = os.getloadavg()
    print(f"load average before {result['loadavg_before']}, after {result['loadavg_after']}")
    quality = result["accuracy"] = accuracy(args.clip)
    if quality:
        print(
            f"2D error vs ground truth ({quality['frames']} frames, person in "
            f"{quality['detected_fraction']:.1%}): median {quality['median_px_all']:.1f} px, "
            f"p90 {quality['p90_px_all']:.1f} px (body {quality['body_height_px']:.0f} px tall)"
        )
        print("  " + ", ".join(f"{k} {v:.1f}" for k, v in quality["median_px"].items()))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "keypoints.json").write_text(json.dumps(result, indent=1))
    plot(result, args.out / "keypoints.png")
    print(f"wrote {args.out / 'keypoints.json'} and keypoints.png")
    return 0


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["bare MediaPipe loop", "extract_keypoints, 1 worker", "extract_keypoints, all"]
    lengths = result["lengths"]
    fig, axes = plt.subplots(len(lengths), 1, figsize=(6.5, 1.2 + 1.4 * len(lengths)))
    for ax, length in zip(np.atleast_1d(axes), lengths, strict=True):
        values = [length["fps_best"][k] for k in ("bare", "one", "all")]
        ax.barh(labels, values, color=["0.6", "C0", "C1"])
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:.1f} ({v / values[0]:.2f}x)", va="center")
        ax.set_xlim(0, max(values) * 1.4)
        ax.set_title(f"{length['seconds_of_video']:.0f} s clip ({length['frames']} frames)")
    ax.set_xlabel(f"frames/s, {result['cores']} cores, best of {result['rounds']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
