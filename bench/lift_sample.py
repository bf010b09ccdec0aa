"""The real-keypoints gap: the lifter on the sample clip's MediaPipe keypoints vs on its exact 2D.

``tests/data/sample/walk.mp4`` is rendered in Blender from mocap with known camera and ground
truth (``walk.npz``: ``joints_camera`` (T, 21, 3), ``joints_2d`` (T, 21, 2) px). This lifts

1. the exact projected ground-truth joints (what synthetic training 2D looks like, no noise);
2. MediaPipe BlazePose keypoints of the video (``lifting.keypoints.extract_keypoints``, lift
   layout), i.e. what users get;

with the shipped model and its single-frame baseline, and prints MPJPE / P-MPJPE / N-MPJPE
(mm) and MPJVE (mm/frame) against the ground truth (root-relative), plus the mean 2D distance
between MediaPipe's lift-layout keypoints and the true joint projections per joint (px).
Never used for training or model selection.

    ./run python bench/lift_sample.py [--out out/bench/lift_sample.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a script; product code never does this
    sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "tests" / "data" / "sample"


def scores(pred: np.ndarray, target: np.ndarray) -> dict:
    from lifting import metrics

    return {
        "mpjpe": 1000 * metrics.mpjpe(pred, target),
        "p_mpjpe": 1000 * metrics.p_mpjpe(pred, target),
        "n_mpjpe": 1000 * metrics.n_mpjpe(pred, target),
        "mpjve": 1000 * metrics.mpjve(pred, target),
    }


def lift_unbundled(folder: Path, name: str, kp: np.ndarray, w: int, h: int) -> np.ndarray:
    """Root-relative 3D (T, 21, 3) m of an unbundled pose model (mirror TTA, like ``lift``)."""
    from lifting.inference import prepare_inputs
    from lifting.models import registry
    from lifting.runtime import predict_sequence, torch_lifter

    model, _ = registry.load_model(name, directory=folder)
    x = prepare_inputs(kp.astype(np.float32), w, h)
    return predict_sequence(torch_lifter(model, prefer="cpu"), x[None], mirror=True)[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/bench/lift_sample.json")
    parser.add_argument("--model", default="default")
    parser.add_argument(
        "--weights",
        nargs="*",
        default=[],
        metavar="DIR/NAME",
        help="also lift with these unbundled pose models (weights folder / model name, e.g. "
        "out/train/offs0/weights/offs0), torch on the CPU, same inputs",
    )
    args = parser.parse_args(argv)

    import torch

    from lifting.inference import lift
    from lifting.keypoints import extract_keypoints
    from lifting.models import registry
    from lifting.skeleton import LIFT_JOINTS

    torch.set_num_threads(1)
    gt = np.load(SAMPLE / "walk.npz", allow_pickle=False)
    w, h, fps = int(gt["width"]), int(gt["height"]), float(gt["fps"])
    target = gt["joints_camera"] - gt["joints_camera"][:, :1]
    exact = np.concatenate([gt["joints_2d"], np.ones((*gt["joints_2d"].shape[:2], 1))], -1)
    track = extract_keypoints(str(SAMPLE / "walk.mp4"))
    mp = track.lift2d
    if len(mp) != len(target):
        raise SystemExit(f"MediaPipe gave {len(mp)} frames, ground truth has {len(target)}")
    card = registry.load_card(args.model)
    result = {"model": card["name"], "frames": len(target), "source_bvh": str(gt["source_bvh"])}
    for name in (card["name"], card["baseline_model"]):
        for label, kp in (("exact 2D", exact), ("MediaPipe 2D", mp)):
            pose = lift(kp.astype(np.float32), w, h, model=name, fps=fps, device="cpu")
            s = scores(pose.joints3d, target)
            result[f"{name} / {label}"] = s
            print(
                f"{name:16s} {label:13s} MPJPE {s['mpjpe']:6.1f}  P-MPJPE {s['p_mpjpe']:6.1f}  "
                f"N-MPJPE {s['n_mpjpe']:6.1f}  MPJVE {s['mpjve']:5.2f}"
            )
    for spec in args.weights:
        folder, name = spec.rsplit("/", 1)
        for label, kp in (("exact 2D", exact), ("MediaPipe 2D", mp)):
            s = scores(lift_unbundled(Path(folder), name, kp, w, h), target)
            result[f"{spec} / {label}"] = s
            print(f"{spec} {label:13s} MPJPE {s['mpjpe']:6.1f}  P-MPJPE {s['p_mpjpe']:6.1f}")
    ok = mp[..., 2] > 0
    d = np.linalg.norm(mp[..., :2] - gt["joints_2d"], axis=-1)
    per_joint = {
        n: float(np.mean(d[:, j][ok[:, j]])) if ok[:, j].any() else None
        for j, n in enumerate(LIFT_JOINTS)
    }
    result["mediapipe_2d_error_px"] = per_joint
    print(
        "MediaPipe vs true joint projections, mean px:",
        {k: round(v or -1, 1) for k, v in per_joint.items()},
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
