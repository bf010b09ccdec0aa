"""Blender-side speed, in one run (figures are ratios against baselines measured here too).

1. KeyframePlan writer (``keyframe_points.add`` + ``foreach_set``) against ``keyframe_insert``
   on the same plan: the lift armature (18 bones, quaternions + root location) over N frames
   of real mocap. Both must produce identical curves.
2. Headless batch total time over its own 2D-extraction time (goal ≤ 1.15), on the sample clip
   and on a 60 s clip made by repeating it (forwards and backwards, so without cuts). Needs
   tests/data/sample/ and bundled weights.

Run: ``./run python bench/blender.py [--frames 600] [--skip-batch]``; writes
``out/bench/blender.json``. Never pass/fail on time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "sample"
MOCAP = ROOT.parent / "shared" / "mocap"
OUT = ROOT / "out" / "bench"


def import_addon():
    spec = importlib.util.spec_from_file_location("lift_batch_entry", ROOT / "batch.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    return entry.import_extension()


def mocap_joints(frames: int) -> np.ndarray:
    from lift_mocap.lifting.mocap.bvh import load_bvh
    from lift_mocap.lifting.mocap.skeletons import to_lift

    joints = to_lift(load_bvh(MOCAP / "bandai" / "dataset-2_walk_normal_001.bvh.gz"))
    reps = int(np.ceil(frames / len(joints)))
    return np.concatenate([joints] * reps)[:frames].astype(np.float64)


def armature_and_plan(frames: int):
    import bpy
    from lift_mocap.lifting.retarget import ROOT_BONE, lift_rest_skeleton, solve
    from lift_mocap.scene.armature import build_armature, rest_matrices
    from lift_mocap.scene.keyframes import pose_plan

    bpy.ops.wm.read_factory_settings(use_empty=True)
    joints = mocap_joints(frames)
    rest = lift_rest_skeleton(joints)
    arm = build_armature(bpy.context.scene.collection, rest, "Bench")
    rest.matrices = rest_matrices(arm)
    solved = solve(joints, rest)
    root = rest.index(ROOT_BONE)
    plan = pose_plan(
        np.arange(1, frames + 1),
        rest.names,
        solved.rotations,
        {ROOT_BONE: solved.locations[:, root]},
    )
    other = build_armature(bpy.context.scene.collection, rest, "BenchInsert")
    return arm, other, plan


def write_with_keyframe_insert(arm, plan) -> None:
    """The baseline: set each channel's value and ``keyframe_insert`` it, key by key."""
    for (path, index), keys in plan.items():
        owner_path, prop = path.rsplit(".", 1)
        owner = arm.path_resolve(owner_path)
        values = getattr(owner, prop)
        group = owner_path.split('"')[1]
        for frame, value in keys:
            values[index] = value
            arm.keyframe_insert(path, index=index, frame=float(frame), group=group)


def curves_equal(a, b, arm_a, arm_b) -> bool:
    from lift_mocap.scene import compat

    def table(action, obj):
        out = {}
        for fc in compat.action_fcurves(action, obj):
            co = np.empty(2 * len(fc.keyframe_points), np.float32)
            fc.keyframe_points.foreach_get("co", co)
            out[(fc.data_path, fc.array_index)] = co
        return out

    ta, tb = table(a, arm_a), table(b, arm_b)
    return ta.keys() == tb.keys() and all(np.allclose(ta[k], tb[k], atol=1e-6) for k in ta)


def bench_keyframes(frames: int, repeats: int = 3) -> dict:
    import bpy
    from lift_mocap.scene.keyframes import write_plan

    arm, other, plan = armature_and_plan(frames)
    keys = sum(len(v) for v in plan.values())
    fast = []
    for r in range(repeats):
        action = bpy.data.actions.new(f"Plan{r}")
        t0 = time.perf_counter()
        write_plan(action, arm, plan)
        fast.append(time.perf_counter() - t0)
    plan_action = arm.animation_data.action
    from lift_mocap.scene import compat

    slow_action = bpy.data.actions.new("Insert")
    compat.assign_action(other, slow_action)
    t0 = time.perf_counter()
    write_with_keyframe_insert(other, plan)
    slow = time.perf_counter() - t0
    same = curves_equal(plan_action, slow_action, arm, other)
    best = min(fast)
    return {
        "frames": frames,
        "curves": len(plan),
        "keys": keys,
        "write_plan_s": best,
        "keyframe_insert_s": slow,
        "write_plan_keys_per_s": keys / best,
        "keyframe_insert_keys_per_s": keys / slow,
        "speedup": slow / best,
        "identical_curves": bool(same),
    }


def make_long_clip(src: Path, dst: Path, seconds: float = 60.0) -> Path:
    """``src`` repeated (frames re-encoded with OpenCV) until it lasts ``seconds``.

    Repeats alternate forwards and backwards so the clip has no cut: a jump from the last
    frame back to the first is a different input (a scene cut), not a longer clip.
    """
    import cv2

    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    ok, frame = cap.read()
    while ok:
        frames.append(frame)
        ok, frame = cap.read()
    cap.release()
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    cycle = frames + frames[-2:0:-1]  # forwards, then backwards without repeating the ends
    for i in range(round(seconds * fps)):
        writer.write(cycle[i % len(cycle)])
    writer.release()
    return dst


def bench_batch(video: Path, out: Path) -> dict:
    """One batch run on ``video`` (own process, no keypoint cache): total over 2D extraction."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "batch.py"), "--", str(video), "--out", str(out),
         "--overwrite"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        return {"video": video.name, "error": done.stderr.strip()[-2000:]}
    report = json.loads((out / f"{video.stem}.report.json").read_text())
    s = report["stage_seconds"]
    return {
        "video": video.name,
        "frames": report["frames"],
        "stage_seconds": s,
        "process_wall_s": wall,
        "total_over_detect": s["total"] / s["detect"],
        "process_over_detect": wall / s["detect"],
    }


def sample_video() -> Path | None:
    from lift_mocap.scene.batch import find_videos

    if not SAMPLE.is_dir():
        return None
    videos = [v for v in find_videos(SAMPLE) if v.is_file()]
    return videos[0] if videos else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    import_addon()
    import bpy

    results = {"blender": bpy.app.version_string, "keyframes": bench_keyframes(args.frames)}
    k = results["keyframes"]
    print(
        f"KeyframePlan writer: {k['keys']} keys on {k['curves']} curves in "
        f"{k['write_plan_s'] * 1e3:.1f} ms = {k['write_plan_keys_per_s']:,.0f} keys/s; "
        f"keyframe_insert: {k['keyframe_insert_s']:.2f} s = "
        f"{k['keyframe_insert_keys_per_s']:,.0f} keys/s; ratio {k['speedup']:.0f}×; "
        f"identical curves: {k['identical_curves']}"
    )
    video = sample_video()
    if args.skip_batch or video is None:
        print("batch: skipped" + ("" if video else f" (no video in {SAMPLE})"))
    else:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            long_clip = make_long_clip(video, tmp / f"{video.stem}_60s.mp4")
            results["batch"] = [bench_batch(v, tmp / "out") for v in (video, long_clip)]
        for b in results["batch"]:
            if "error" in b:
                print(f"batch {b['video']}: FAILED {b['error']}")
                continue
            print(
                f"batch {b['video']}: {b['frames']} frames, total {b['stage_seconds']['total']:.1f}"
                f" s, 2D extraction {b['stage_seconds']['detect']:.1f} s → total/2D = "
                f"{b['total_over_detect']:.3f} (whole process incl. start-up "
                f"{b['process_over_detect']:.3f}); stages {b['stage_seconds']}"
            )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "blender.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {OUT / 'blender.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
