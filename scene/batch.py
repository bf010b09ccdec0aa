# SPDX-License-Identifier: GPL-3.0-or-later
"""Headless batch over videos: per video ``<name>.blend``, ``<name>.bvh``, ``<name>.report.json``
and ``<name>.report.png`` (jitter and foot contacts over time).

Runs exactly what the Lift Video button runs (:class:`.jobs.LiftJob` → ``apply_result``), one
video at a time in a fresh empty scene (or a fresh load of ``--blend``, whose armature
``--target-rig`` also receives the motion; the file itself is only read). A video that fails
is reported (stderr and its report JSON) and skipped; the exit code is 0 only if every video
succeeded. Entry point: ``batch.py`` at the extension's root.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import bpy

from ..lifting.errors import LiftError
from ..lifting.pipeline import PipelineSettings, finish_warm_ups
from . import jobs
from .apply import ApplySettings, summary, target_rig
from .export import export

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="a video, a folder of numbered images, or a folder of videos")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--model", default="default", help="lifting model (default: %(default)s)")
    parser.add_argument("--start", type=int, default=0, help="first video frame (0-based)")
    parser.add_argument("--end", type=int, default=None, help="frame after the last one")
    parser.add_argument("--stride", type=int, default=1, help="use every N-th frame")
    parser.add_argument(
        "--smoothing", default="one_euro", choices=("one_euro", "butterworth", "savgol", "none")
    )
    parser.add_argument("--strength", type=float, default=0.5, help="smoothing strength 0..1")
    parser.add_argument("--foot-lock", default="auto", choices=("auto", "always", "never"))
    parser.add_argument("--in-place", action="store_true", help="keep the body over the origin")
    parser.add_argument("--focal-mm", type=float, default=None, help="35 mm-equivalent focal")
    parser.add_argument("--camera-height", type=float, default=None, help="metres")
    parser.add_argument(
        "--actor-height",
        type=float,
        default=None,
        help="the actor's standing height in metres (fixes the scale; default: estimated)",
    )
    parser.add_argument(
        "--tilt", type=float, default=None, help="camera tilt, degrees down (default: estimated)"
    )
    parser.add_argument(
        "--adapt-minutes",
        type=float,
        default=0.0,
        help="adapt the lifter to each video for this long first (needs PyTorch; 0 = off)",
    )
    parser.add_argument("--cpu", action="store_true", help="run the lifter on the CPU")
    parser.add_argument(
        "--body",
        default="none",
        choices=("none", "default", "smpl", "meshnet"),
        help="skin a body mesh to the armature (smpl: needs --smpl-file; meshnet: the mesh "
        "net's per-frame mesh, shape keys)",
    )
    parser.add_argument("--smpl-file", default="", help="your SMPL model file for --body smpl")
    parser.add_argument("--fbx", action="store_true", help="also write <name>.fbx")
    parser.add_argument(
        "--blend",
        default=None,
        help="start each video from this .blend instead of an empty scene (it is only read)",
    )
    parser.add_argument(
        "--target-rig",
        default=None,
        metavar="NAME",
        help="also retarget onto the armature object NAME of --blend (your character)",
    )
    parser.add_argument(
        "--target-root-motion",
        default="hips",
        choices=("hips", "root", "object"),
        help="what carries the travel on --target-rig (default: %(default)s)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def find_videos(path: Path) -> list[Path]:
    """The videos of an input: a file; a folder of numbered images (one clip); or the videos
    in a folder (sorted, not recursive)."""
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file())
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    if videos:
        return videos
    if any(p.suffix.lower() in IMAGE_SUFFIXES for p in files):
        return [path]
    return []


def settings_from_args(args, video: Path) -> PipelineSettings:
    return PipelineSettings(
        video=str(video),
        start=args.start,
        end=args.end,
        stride=args.stride,
        model=args.model,
        device="cpu" if args.cpu else None,
        smoothing=args.smoothing,
        strength=args.strength,
        foot_lock=args.foot_lock,
        in_place=args.in_place,
        focal_35mm=args.focal_mm,
        camera_height=args.camera_height,
        subject_height=args.actor_height,
        tilt=args.tilt,
        adapt_minutes=args.adapt_minutes,
    )


def outputs_for(out: Path, video: Path, fbx: bool) -> dict[str, Path]:
    name = video.stem if video.is_file() or video.suffix else video.name
    paths = {"blend": out / f"{name}.blend", "bvh": out / f"{name}.bvh"}
    if fbx:
        paths["fbx"] = out / f"{name}.fbx"
    paths["report"] = out / f"{name}.report.json"
    paths["plot"] = out / f"{name}.report.png"
    return paths


def process(video: Path, args, out: Path) -> dict:
    """Lift one video into a fresh scene and write its outputs; returns its report."""
    t0 = time.perf_counter()
    paths = outputs_for(out, video, args.fbx)
    report = {"video": str(video), "status": "failed", "outputs": {}}
    if args.blend and paths["blend"].resolve() == Path(args.blend).resolve():
        report["error"] = f"The output {paths['blend']} is --blend itself: pick another --out."
        return report
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not args.overwrite:
        report["error"] = f"Outputs exist: {', '.join(existing)}. Pass --overwrite to replace them."
        return report
    t = time.perf_counter()
    # A fresh empty file from the factory start-up; unlike read_factory_settings this keeps the
    # preferences (and enabled add-ons) and is ~10× faster.
    if args.blend:
        bpy.ops.wm.open_mainfile(filepath=str(args.blend), load_ui=False)
    else:
        bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True, load_ui=False)
    reset_seconds = time.perf_counter() - t
    context = bpy.context
    apply = apply_settings(args)
    try:
        target_rig(context, apply)  # a missing or unmappable rig fails before the lift runs
    except LiftError as err:
        report["error"] = str(err)
        return report
    job = jobs.LiftJob(settings_from_args(args, video), apply).start()
    job.wait(context)
    if job.state != jobs.FINISHED:
        report["error"] = job.error or job.state
        return report
    timings = {"scene_reset": reset_seconds, **job.result.timings, "apply": job.apply_seconds}
    t = time.perf_counter()
    bpy.ops.wm.save_as_mainfile(filepath=str(paths["blend"]), check_existing=False, copy=True)
    timings["save"] = time.perf_counter() - t
    t = time.perf_counter()
    arm = job.created["armature"]
    export(context, arm, paths["bvh"], "BVH")
    if args.fbx:
        export(context, arm, paths["fbx"], "FBX")
    job.result.motion.report.plot(paths["plot"])  # jitter and contacts over time
    timings["export"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    report.update(summary(job.result))
    report["stage_seconds"] = {k: round(v, 4) for k, v in timings.items()}
    report["status"] = "ok"
    report["outputs"] = {k: str(p) for k, p in paths.items()}
    report["armature"] = arm.name
    retargeted = job.created.get("retarget")
    if retargeted is not None:
        report["target_rig"] = retargeted["object"].name
        report["target_action"] = retargeted["action"].name
    return report


def apply_settings(args) -> ApplySettings:
    return ApplySettings(
        body=args.body.upper(),
        body_path=args.smpl_file,
        target_rig=args.target_rig or "",
        retarget_root=args.target_root_motion,
        retarget_foot_lock=args.foot_lock != "never",
    )


def run(argv: list[str]) -> int:
    """Parse ``argv`` (the arguments after ``--``), process every video; the exit code."""
    parser = argparse.ArgumentParser(
        prog="batch.py", description="Lift videos headless: .blend, .bvh and a report per video."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.body == "smpl" and not args.smpl_file:
        parser.error("--body smpl needs --smpl-file PATH (SMPL files cannot be bundled)")
    if args.target_rig and not args.blend:
        parser.error("--target-rig NAME needs --blend FILE, the .blend that holds the armature")
    if args.blend and not Path(args.blend).is_file():
        parser.error(f"--blend: no such file {args.blend}")
    out = Path(args.out)
    videos = find_videos(Path(args.input))
    if not videos:
        print(f"error: no videos in {args.input}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for video in videos:
        report = process(video, args, out)
        report_path = outputs_for(out, video, args.fbx)["report"]
        if report["status"] != "ok" and report_path.exists() and not args.overwrite:
            report_path = report_path.with_suffix(".failed.json")
        report_path.write_text(json.dumps(report, indent=1))
        if report["status"] == "ok":
            s = report["stage_seconds"]
            print(f"ok   {video.name}: {report['frames']} frames in {s['total']:.1f} s → {out}")
        else:
            failures += 1
            print(f"FAIL {video.name}: {report['error']}", file=sys.stderr)
    print(f"{len(videos) - failures} of {len(videos)} videos lifted.")
    finish_warm_ups()
    return 1 if failures else 0
