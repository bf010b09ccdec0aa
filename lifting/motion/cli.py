"""``python -m lifting world KEYPOINTS POSE --out motion.npz``: place a lifted pose in the world.

Reads a keypoints file (Track2D, ``python -m lifting keypoints``) and the 3D pose lifted from it
(Pose3D, ``python -m lifting lift``), runs :func:`lifting.motion.world.to_world` and writes the
Motion npz, the quality report as JSON and its plot as PNG (beside the npz unless given).
Changing only smoothing, foot lock or camera settings re-runs this step alone: the cached
keypoints and 3D are reused.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import OutputExistsError
from .contacts import FOOT_LOCK_MODES
from .filters import FILTERS


def add_arguments(parser) -> None:
    parser.add_argument("keypoints", help="keypoints .npz (Track2D)")
    parser.add_argument("pose", help="3D pose .npz (Pose3D) lifted from those keypoints")
    parser.add_argument("--out", required=True, help="output .npz (Motion)")
    parser.add_argument("--report", help="quality report .json (default: beside --out)")
    parser.add_argument("--plot", help="jitter/contacts plot .png (default: beside --out)")
    parser.add_argument("--focal", type=float, help="focal length px (default: 60° FOV)")
    parser.add_argument("--camera-height", type=float, help="metres (default: from the feet)")
    parser.add_argument("--tilt", type=float, help="degrees down (default: from the feet)")
    parser.add_argument("--subject-height", type=float, help="metres (default: lifter's size)")
    parser.add_argument("--in-place", action="store_true", help="keep the body over the origin")
    parser.add_argument("--smoothing", choices=FILTERS, default="one_euro")
    parser.add_argument("--strength", type=float, default=0.5, help="0..1 (default 0.5)")
    parser.add_argument("--foot-lock", choices=FOOT_LOCK_MODES, default="auto")
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs")


def outputs(args) -> dict[str, Path]:
    out = Path(args.out)
    stem = out.with_suffix("")
    return {
        "motion": out,
        "report": Path(args.report) if args.report else stem.with_suffix(".report.json"),
        "plot": Path(args.plot) if args.plot else stem.with_suffix(".report.png"),
    }


def main(args) -> int:
    from ..inference import Pose3D
    from ..keypoints.track import Track2D
    from .world import to_world

    paths = outputs(args)
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not args.force:
        raise OutputExistsError(
            f"{', '.join(existing)} exist(s) already: pass --force to replace, or choose --out."
        )
    track = Track2D.load(args.keypoints)
    pose = Pose3D.load(args.pose)
    motion = to_world(
        pose,
        track,
        focal_px=args.focal,
        camera_height=args.camera_height,
        tilt=args.tilt,
        in_place=args.in_place,
        smoothing=args.smoothing,
        strength=args.strength,
        foot_lock=args.foot_lock,
        subject_height=args.subject_height,
    )
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    motion.save(paths["motion"])
    motion.report.save(paths["report"])
    motion.report.plot(paths["plot"])
    r = motion.report
    print(
        f"{r.frames} frames: jitter {r.jitter:.2f} m/s² (raw {r.jitter_raw:.2f}), foot slide "
        f"{r.foot_slide_cm_per_frame:.2f} cm/frame, reprojection {r.reprojection_px:.1f} px, "
        f"camera {r.camera['height_m']:.2f} m high, tilt {r.camera['tilt_deg']:.1f}°"
    )
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
