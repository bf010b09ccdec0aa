"""``python -m lifting lift kp.npz --out pose.npz [--model NAME]``: lift 2D keypoints to 3D.

Reads either a keypoints file of ``python -m lifting keypoints`` (Track2D: ``lift2d (T, 21, 3)``
px + confidence, ``width``, ``height``, ``fps``) or an npz with ``keypoints (T, 17, 2|3)`` px
(+ confidence), ``layout = "h36m17"`` (the 17 Human3.6M joints in their usual order), ``width``,
``height``, ``fps``; the lift joints Human3.6M lacks get confidence 0. Writes ``joints3d``
(T, 21, 3) camera frame metres root-relative, ``root`` (T, 3) camera frame metres,
``joint_names``, ``model``, ``format_version`` (:class:`lifting.inference.Pose3D`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import FileFormatError, KeypointsNotFoundError, OutputExistsError
from .skeleton import H36M17, NUM_JOINTS

LAYOUTS = ("lift", "h36m17")


def add_arguments(parser) -> None:
    parser.add_argument("keypoints", help="keypoints .npz (Track2D, or keypoints + layout)")
    parser.add_argument("--out", required=True, help="output .npz (Pose3D)")
    parser.add_argument(
        "--model", default="default", help="bundled model name (default: %(default)s)"
    )
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")


def _scalar(f, name: str, path: Path) -> float:
    if name not in f.files:
        raise FileFormatError(f"{path} has no '{name}' array; add it (the video's {name}).")
    return float(np.asarray(f[name]).reshape(-1)[0])


def h36m17_to_lift(keypoints: np.ndarray) -> np.ndarray:
    """``(T, 17, 2|3)`` Human3.6M-order px (+ confidence) → ``(T, 21, 3)`` lift layout; the
    four extra lift joints (toes, hand ends) get position 0 and confidence 0."""
    k = np.asarray(keypoints, dtype=np.float32)
    if k.ndim != 3 or k.shape[1] != H36M17 or k.shape[2] not in (2, 3):
        raise FileFormatError(f"h36m17 keypoints must be (T, 17, 2 or 3), got {k.shape}")
    out = np.zeros((len(k), NUM_JOINTS, 3), np.float32)
    out[:, :H36M17, :2] = k[..., :2]
    out[:, :H36M17, 2] = k[..., 2] if k.shape[2] == 3 else 1.0
    return out


def read_keypoints(path) -> dict:
    """``{"lift2d" (T, 21, 3), "width", "height", "fps"}`` from either supported npz."""
    path = Path(path)
    if not path.is_file():
        raise KeypointsNotFoundError(f"Keypoints file {path} not found; check the path.")
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise FileFormatError(f"{path} is not a readable .npz file ({err}).") from err
    with f:
        if "lift2d" in f.files:
            lift2d = np.asarray(f["lift2d"], np.float32)
        elif "keypoints" in f.files:
            layout = str(f["layout"]) if "layout" in f.files else ""
            if layout != "h36m17":
                raise FileFormatError(
                    f"{path} has 'keypoints' but layout {layout!r}; set layout='h36m17' "
                    "(17 Human3.6M joints) or give 'lift2d' (T, 21, 3)."
                )
            lift2d = h36m17_to_lift(f["keypoints"])
        else:
            raise FileFormatError(
                f"{path} has neither 'lift2d' (Track2D) nor 'keypoints' + layout='h36m17'."
            )
        fps = _scalar(f, "fps", path) if "fps" in f.files else None
        return {
            "lift2d": lift2d,
            "width": _scalar(f, "width", path),
            "height": _scalar(f, "height", path),
            "fps": fps,
        }


def main(args) -> int:
    from .inference import lift

    out = Path(args.out)
    if out.exists() and not args.force:
        raise OutputExistsError(f"{out} exists; choose another --out or pass --force.")
    kp = read_keypoints(args.keypoints)
    device = "cpu" if args.device == "cpu" else None
    pose = lift(
        kp["lift2d"], kp["width"], kp["height"], model=args.model, fps=kp["fps"], device=device
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    pose.save(out)
    print(f"lifted {len(pose.joints3d)} frames with {pose.model} on {pose.device} -> {out}")
    return 0
