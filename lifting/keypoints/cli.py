"""``python -m lifting keypoints VIDEO --out kp.npz``: detect 2D keypoints, write a Track2D."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import OutputExistsError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", help="a video file or a folder of numbered images")
    parser.add_argument("--out", required=True, type=Path, help="the .npz file to write")
    parser.add_argument("--start", type=int, default=0, help="first frame (default 0)")
    parser.add_argument("--end", type=int, default=None, help="stop before this frame")
    parser.add_argument("--stride", type=int, default=1, help="use every Nth frame")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core)"
    )
    parser.add_argument("--image-fps", type=float, default=30.0, help="frame rate of images")
    parser.add_argument("--cache-dir", type=Path, default=None, help="default ~/.cache/lift")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write a cache")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")


def main(args: argparse.Namespace) -> int:
    from . import STAGE, extract_keypoints
    from .cache import default_cache_dir

    out = args.out if args.out.suffix == ".npz" else args.out.with_suffix(".npz")
    if out.exists() and not args.force:
        raise OutputExistsError(f"'{out}' exists. Choose another --out, or pass --force.")
    cache_dir = None if args.no_cache else (args.cache_dir or default_cache_dir())
    started = time.perf_counter()
    last = [-1]

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent != last[0]:
            last[0] = percent
            print(f"\r{STAGE}: {percent:3d}%", end="", file=sys.stderr, flush=True)

    track = extract_keypoints(
        args.video,
        start=args.start,
        end=args.end,
        stride=args.stride,
        workers=args.workers,
        cache_dir=cache_dir,
        progress=progress,
        image_fps=args.image_fps,
    )
    print(file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    track.save(out)
    seconds = time.perf_counter() - started
    print(
        f"{out}: {len(track)} frames, person in {int(track.detected.sum())}, "
        f"{len(track.failed_frames)} undecodable, {track.width}x{track.height} "
        f"at {track.fps:g} fps ({seconds:.1f} s)"
    )
    return 0
