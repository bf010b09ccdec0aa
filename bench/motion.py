"""World-stage benchmark on the validation split, with known cameras.

Each validation clip (splits.json "val", 30 fps) is filmed by its own random static camera
(:func:`lifting.motion.synthetic.random_camera`: 1–2 m high, focal 650–1000 px, 960×540, the
whole motion in frame). Its 2D keypoints get the training set's MediaPipe-shaped noise
(:mod:`lifting.train.synth`). The 3D input is the bundled lifter's output on those keypoints
when weights exist; otherwise — and the output says so — the true camera-frame pose with
errors shaped like a temporal lifter's (:func:`lifting.motion.synthetic.lifter_like`:
20 mm slowly varying per-joint error, 5 mm jitter, ×1.5 along depth, 3 % scale error; root
with 5 % slow depth error and 0.5 / 1.5 cm white noise across / along depth). Then
:func:`lifting.motion.world.to_world` at its defaults (focal length given, as when the user
knows it; camera height and tilt estimated).

Figures (frame-weighted over clips):
- foot slide during the TRUE contacts (cm/frame), raw vs final; raw = lifter joints + model
  root placed in the world with the true camera;
- jitter (mean joint acceleration, m/s²): raw, final, ratio; and of the ground truth itself;
  also root-relative (the pose alone, without the root's own noise);
- MPJPE (root-relative, camera frame, mm): raw vs final, relative change;
- root trajectory error after aligning the first frame (cm) and as a fraction of the distance
  travelled; camera height and tilt errors; contact precision / recall; reprojection (px);
- the same for each smoothing filter at the default strength, and with the focal length
  unknown (the 60° default instead of the true 650–1000 px);
- world-stage time per frame as a ratio to one Butterworth pass over the same joints (the
  cheapest possible post-process), measured in the same run.

    ./run python bench/motion.py [--clips N] [--out out/bench/motion.json]
                                 [--plot docs/img/motion.png] [--weights-dir DIR] [--imitate]
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

from lifting.errors import LiftError  # noqa: E402
from lifting.metrics import mpjpe  # noqa: E402
from lifting.mocap.dataset import load_split  # noqa: E402
from lifting.motion import contacts, filters, frames, synthetic  # noqa: E402
from lifting.motion.world import to_world  # noqa: E402

FPS = 30.0
CONFIGS = {
    "default (one_euro 0.5, auto)": {},
    "butterworth 0.5": {"smoothing": "butterworth"},
    "savgol 0.5": {"smoothing": "savgol"},
    "no smoothing, no foot lock": {"strength": 0.0, "foot_lock": "never"},
    "default, focal unknown (60° FOV)": {"focal_px": None},
}


def lifter_output(track, fallback, required: bool):
    """The lifter's Pose3D on the track, or ``fallback`` if there are no weights (an error
    when ``required``: a mix of lifted and imitated clips would mislabel the figures)."""
    from lifting.inference import lift

    try:
        return lift(track.lift2d, track.width, track.height, fps=track.fps, device="cpu"), True
    except (LiftError, FileNotFoundError, ImportError):
        if required:
            raise
        return fallback, False


def clip_metrics(world, pose, track, cam, motion) -> dict:
    """Figures of one clip (see the module docstring)."""
    gt_cam = cam.to_camera(world)
    gt_rel = gt_cam - gt_cam[:, :1]
    back = frames.to_camera(motion.joints, motion.camera["rotation"], motion.camera["location"])
    raw_cam = pose.joints3d + pose.root[:, None]
    truth = synthetic.true_contacts(world, FPS)
    raw_world = cam.canonical(frames.to_world(raw_cam, cam.rotation, cam.location))
    canon = cam.canonical(world)
    err = (motion.root - motion.root[0]) - (canon[:, 0] - canon[0, 0])
    travelled = float(np.linalg.norm(np.diff(canon[:, 0, :2], axis=0), axis=-1).sum())
    found = motion.joint_contacts
    tilt_true = cam.tilt_deg
    inner = slice(1, -1)
    acc = lambda j: float(np.linalg.norm(np.diff(j, 2, axis=0), axis=-1).mean() * FPS**2)  # noqa: E731
    return {
        "frames": len(world),
        "slide_raw": contacts.foot_slide(raw_world, truth),
        "slide": contacts.foot_slide(motion.joints, truth),
        "jitter_raw": acc(raw_cam),
        "jitter": acc(motion.joints),
        "jitter_gt": acc(world),
        "jitter_rel_raw": acc(pose.joints3d - pose.joints3d[:, :1]),
        "jitter_rel": acc(motion.joints - motion.joints[:, :1]),
        "mpjpe_raw": 1000 * mpjpe(pose.joints3d - pose.joints3d[:, :1], gt_rel),
        "mpjpe": 1000 * mpjpe(back - back[:, :1], gt_rel),
        "root_err_cm": 100 * float(np.linalg.norm(err, axis=-1)[inner].mean()),
        "travelled_m": travelled,
        "height_err_m": abs(motion.camera["location"][2] - cam.location[2]),
        "tilt_err_deg": abs(motion.report.camera["tilt_deg"] - tilt_true),
        "tp": int((found & truth).sum()),
        "fp": int((found & ~truth).sum()),
        "fn": int((~found & truth).sum()),
        "reprojection_px": motion.report.reprojection_px,
        "seconds": sum(motion.report.stage_seconds.values()),
    }


def aggregate(rows: list[dict]) -> dict:
    """Frame-weighted means; ratios and fractions from the totals."""
    w = np.array([r["frames"] for r in rows], dtype=float)
    mean = lambda k: float(np.nansum([r[k] * wi for r, wi in zip(rows, w, strict=True)]) / w.sum())  # noqa: E731
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    moving = [r for r in rows if r["travelled_m"] > 1.0]
    out = {k: mean(k) for k in ("slide_raw", "slide", "jitter_raw", "jitter", "jitter_gt",
                                "jitter_rel_raw", "jitter_rel",
                                "mpjpe_raw", "mpjpe", "root_err_cm", "height_err_m",
                                "tilt_err_deg", "reprojection_px")}  # fmt: skip
    out["jitter_reduction"] = out["jitter_raw"] / out["jitter"]
    out["jitter_rel_reduction"] = out["jitter_rel_raw"] / out["jitter_rel"]
    out["mpjpe_change_pct"] = 100 * (out["mpjpe"] / out["mpjpe_raw"] - 1)
    out["root_err_fraction_of_travel"] = sum(
        r["root_err_cm"] / 100 * r["frames"] for r in moving
    ) / max(sum(r["travelled_m"] * r["frames"] for r in moving), 1e-9)
    out["moving_clips"] = len(moving)
    out["contact_precision"] = tp / max(tp + fp, 1)
    out["contact_recall"] = tp / max(tp + fn, 1)
    out["ms_per_frame"] = 1000 * sum(r["seconds"] for r in rows) / w.sum()
    out["clips"], out["frames"] = len(rows), int(w.sum())
    return out


def butterworth_baseline(clips) -> float:
    """ms per frame of one Butterworth pass over each clip's joints (the timing baseline)."""
    start = time.perf_counter()
    n = 0
    for c in clips:
        filters.butterworth(c.joints.astype(np.float64), FPS, 3.5)
        n += len(c.joints)
    return 1000 * (time.perf_counter() - start) / n


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["configs"])
    agg = [results["configs"][n] for n in names]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), dpi=100)
    for ax, (key, raw, label) in zip(
        axes,
        (("jitter", "jitter_raw", "jitter m/s²"), ("slide", "slide_raw", "foot slide cm/frame"),
         ("mpjpe", "mpjpe_raw", "MPJPE mm")),
        strict=True,
    ):  # fmt: skip
        vals = [agg[0][raw]] + [a[key] for a in agg]
        ax.barh(range(len(vals)), vals, color=["grey"] + ["tab:blue"] * len(agg))
        ax.set_yticks(range(len(vals)), ["raw 3D input", *names] if ax is axes[0] else [])
        ax.set_title(label, fontsize=9)
        ax.invert_yaxis()
    fig.suptitle(f"world stage on {agg[0]['clips']} val clips ({results['input']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=0, help="first N val clips only (0 = all)")
    p.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "motion.json")
    p.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "motion.png")
    p.add_argument(
        "--imitate",
        action="store_true",
        help="use the lifter-shaped noise model even when lifter weights exist",
    )
    p.add_argument(
        "--weights-dir",
        type=Path,
        help="lift with the models in this folder (e.g. a training run's weights/) instead "
        "of the bundled ones",
    )
    args = p.parse_args(argv)
    if args.weights_dir:
        from lifting.models import registry

        registry.WEIGHTS_DIR = args.weights_dir  # a script's override; the product never does
    try:
        import torch

        torch.set_num_threads(1)  # a shared machine; training runs beside us
    except ImportError:
        pass

    clips = load_split("val", fps=FPS)
    if args.clips:
        clips = clips[: args.clips]
    clips = [c for c in clips if len(c.joints) >= 15]
    rows = {name: [] for name in CONFIGS}
    used_lifter = None
    for i, clip in enumerate(clips):
        world = clip.joints.astype(np.float64)
        imitated, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(1000 + i))
        pose, real = (
            (imitated, False)
            if args.imitate
            else lifter_output(track, imitated, required=bool(used_lifter))
        )
        used_lifter = real if used_lifter is None else used_lifter
        for name, kw in CONFIGS.items():
            motion = to_world(pose, track, **{"focal_px": cam.focal, **kw})
            rows[name].append(clip_metrics(world, pose, track, cam, motion))
        if i % 20 == 0:
            print(f"{i + 1}/{len(clips)} {clip.name}", flush=True)
    base = butterworth_baseline(clips)
    results = {
        "input": (
            ("lifter from " + str(args.weights_dir) if args.weights_dir else "bundled lifter")
            if used_lifter
            else "ground truth + lifter-shaped noise"
        ),
        "configs": {name: aggregate(r) for name, r in rows.items()},
        "baseline_butterworth_ms_per_frame": base,
        "command": "./run python bench/motion.py"
        + (f" --clips {args.clips}" if args.clips else ""),
    }
    for agg in results["configs"].values():
        agg["time_vs_butterworth"] = agg["ms_per_frame"] / base
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    plot(results, args.plot)
    print(f"3D input: {results['input']}")
    for name, a in results["configs"].items():
        print(
            f"{name:30s} slide {a['slide_raw']:.2f}->{a['slide']:.2f} cm/fr | jitter "
            f"{a['jitter_raw']:.1f}->{a['jitter']:.1f} m/s² (×{a['jitter_reduction']:.1f} less; "
            f"gt {a['jitter_gt']:.1f}; root-relative ×{a['jitter_rel_reduction']:.1f}) | "
            f"MPJPE {a['mpjpe_raw']:.1f}->{a['mpjpe']:.1f} mm "
            f"({a['mpjpe_change_pct']:+.1f} %) | root {a['root_err_cm']:.1f} cm "
            f"({100 * a['root_err_fraction_of_travel']:.1f} % of travel) | cam height "
            f"±{a['height_err_m']:.2f} m tilt ±{a['tilt_err_deg']:.1f}° | contacts P "
            f"{a['contact_precision']:.2f} R {a['contact_recall']:.2f} | reproj "
            f"{a['reprojection_px']:.1f} px | {a['time_vs_butterworth']:.0f}× a Butterworth pass"
        )
    print(f"wrote {args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
