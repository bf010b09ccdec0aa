"""``python -m lifting adapt kp.npz --minutes M [--out pose.npz]``: adapt the lifter to one
clip's 2D keypoints (self-supervised, cached per clip), then optionally lift with it.

The keypoints file is what ``python -m lifting keypoints`` writes (or an h36m17 file, as
``python -m lifting lift`` reads). The adapted weights go to the cache
(``$LIFT_CACHE/adapt`` or ``~/.cache/lift/adapt``, or ``--cache-dir``), never to the bundled
weights; the command prints their folder and the back-projection error before and after.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import OutputExistsError


def add_arguments(parser) -> None:
    a = parser.add_argument
    a("keypoints", help="keypoints .npz (Track2D, or keypoints + layout='h36m17')")
    a("--minutes", type=float, required=True, help="adaptation time budget in minutes")
    a("--model", default="default", help="bundled model to adapt (default: %(default)s)")
    a("--focal-px", type=float, default=None, help="camera focal length in px (default: guess)")
    a(
        "--teacher-student",
        action="store_true",
        help="add the invariant-teacher / equivariant-student regulariser",
    )
    a("--out", default=None, help="also lift the clip with the adapted model to this .npz")
    a("--force", action="store_true", help="overwrite --out if it exists")
    a("--cache-dir", default=None, help="folder for adapted weights (default: the user cache)")
    a("--mocap-dir", default=None, help="mocap for the supervised batches (default ../shared)")
    a(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: the networks are small, and more threads spin-wait "
        "on a busy machine)",
    )


def _progress_printer():
    last = [-1]

    def progress(f: float) -> None:
        pct = int(100 * f) // 10 * 10
        if pct > last[0]:
            last[0] = pct
            print(f"adapting: {pct} %", file=sys.stderr, flush=True)

    return progress


def main(args) -> int:
    from . import adapt, lift_adapted, require_torch
    from .api import read_clip
    from .loop import AdaptConfig

    require_torch()
    import torch

    torch.set_num_threads(max(1, args.threads))

    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not args.force:
        raise OutputExistsError(f"{out} exists; choose another --out or pass --force.")
    kp = read_clip(args.keypoints)
    result = adapt(
        args.model,
        kp,
        60.0 * args.minutes,
        _progress_printer(),
        focal_px=args.focal_px,
        config=AdaptConfig(teacher_student=args.teacher_student),
        cache_dir=args.cache_dir,
        mocap_dir=args.mocap_dir,
    )
    s = result.summary
    bp = s["backprojection_px"]
    print(
        f"{'cached' if result.cached else 'adapted'} {s['model']}: {s['steps']} steps, "
        f"{s['seconds']:.0f} s; back-projection error {bp['before']:.1f} -> {bp['after']:.1f} px"
    )
    print(f"weights: {result.directory}")
    if out is not None:
        pose = lift_adapted(result, kp["lift2d"], kp["width"], kp["height"], fps=kp.get("fps"))
        out.parent.mkdir(parents=True, exist_ok=True)
        pose.save(out)
        print(f"lifted {len(pose.joints3d)} frames with {pose.model} -> {out}")
    return 0
