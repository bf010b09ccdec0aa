"""Retarget speed against the KeyframePlan write alone, in one run.

A 60-bone Mixamo-named armature (body, fingers, eyes and jaw; 17 mapped bones) is animated
from N frames of real mocap (a Bandai walk, repeated): the whole ``retarget_onto`` (read the
rig, probe its drivers, solve, foot lock, write one new action), the NumPy solve alone, and —
the baseline — ``write_plan`` of the same KeyframePlan into a fresh action. Optionally the same
on a generated Rigify rig (706 bones; generation is not timed), with and without keying its
leg IK controls (``rig_ik``: one evaluation of the rig per frame).

Run: ``./run python bench/retarget.py [--frames 1000] [--repeats 3] [--rigify]``; writes
``out/bench/retarget.json``. Never pass/fail on time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]  # bench: reuse test rigs

import rigs  # noqa: E402
from blender import OUT, import_addon, mocap_joints  # noqa: E402

FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")


def sixty_bone_style():
    """tests/rigs.py's Mixamo bones plus 3 bones per finger, eyes and a jaw (60 bones)."""
    style = list(rigs.MIXAMO)
    for side in ("Left", "Right"):
        s = side[0].lower()
        for f, finger in enumerate(FINGERS):
            parent = f"mixamorig:{side}Hand"
            for k in range(1, 4):
                name = f"mixamorig:{side}Hand{finger}{k}"
                if any(b[0] == name for b in style):
                    name += "_b"
                style.append((name, parent, f"{s}_hand", f"{s}_finger{f}_{k}", 0.0))
                parent = name
    for name in ("mixamorig:LeftEye", "mixamorig:RightEye", "mixamorig:Jaw"):
        style.append((name, "mixamorig:Head", "neck", "head", 0.0))
    return style[:60]


def points_with_fingers(points):
    out = dict(points)
    for s, sign in (("l", 1.0), ("r", -1.0)):
        for f in range(5):
            for k in range(1, 4):
                out[f"{s}_finger{f}_{k}"] = points[f"{s}_hand"] + np.array(
                    [sign * 0.025 * k, 0.02 * (f - 2), -0.005 * f]
                )
    return out


def best(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def bench_rig(addon, obj, joints, repeats):
    import bpy
    from lift_mocap.lifting.retarget.bonemap import auto_map
    from lift_mocap.lifting.retarget.transfer import retarget
    from lift_mocap.scene.keyframes import pose_plan, write_plan
    from lift_mocap.scene.retarget_apply import retarget_onto
    from lift_mocap.scene.rig_read import read_rig

    frames = np.arange(1, len(joints) + 1, dtype=np.float64)
    t_full, out = best(lambda: retarget_onto(bpy.context, obj, joints, frames, 30.0), repeats)
    t_fk = None
    if any("(IK, keyed)" in s for s in out["rigify_switches"]):
        t_fk, _ = best(
            lambda: retarget_onto(bpy.context, obj, joints, frames, 30.0, rig_ik=False), repeats
        )
    rig = read_rig(obj)
    rig.drivers = {}
    bonemap = auto_map(rig)
    t_math, motion = best(lambda: retarget(joints, rig, bonemap, fps=30.0), repeats)
    locations = {motion.location_bone: motion.locations}
    plan = pose_plan(frames, motion.bones, motion.rotations, locations)

    def write_alone():
        return write_plan(bpy.data.actions.new("WriteOnly"), obj, plan)

    t_write, _ = best(write_alone, repeats)
    keys = sum(len(v) for v in plan.values())
    per_k = 1000.0 / len(joints)
    return {
        "bones": len(obj.data.bones),
        "mapped": len(out["motion"].bones),
        "frames": len(joints),
        "keys": keys,
        "retarget_onto_s_per_1000_frames": t_full * per_k,
        "solve_only_s_per_1000_frames": t_math * per_k,
        "write_plan_s_per_1000_frames": t_write * per_k,
        "retarget_over_write": t_full / t_write,
        "retarget_fk_only_s_per_1000_frames": None if t_fk is None else t_fk * per_k,
        "leg_ik_keyed": [s for s in out["rigify_switches"] if "(IK, keyed)" in s],
        "solve_over_write": t_math / t_write,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rigify", action="store_true", help="also a generated Rigify rig")
    args = parser.parse_args(argv)
    addon = import_addon()
    import bpy
    from lift_mocap.lifting.retarget.lift_rig import median_lengths, rest_joints

    joints = mocap_joints(args.frames)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    points = points_with_fingers(rigs.rest_points(rest_joints(median_lengths(joints)), 40.0))
    style = sixty_bone_style()
    sixty = rigs.build_armature(style, points, "Sixty")
    results = {"sixty_bone_mixamo": bench_rig(addon, sixty, joints, args.repeats)}
    if args.rigify:
        import addon_utils

        addon_utils.enable("rigify", default_set=True)
        bpy.ops.object.armature_human_metarig_add()
        bpy.ops.pose.rigify_generate()
        results["rigify"] = bench_rig(addon, bpy.context.object, joints, args.repeats)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "retarget.json").write_text(json.dumps(results, indent=2))
    for name, r in results.items():
        print(
            f"{name}: {r['bones']} bones ({r['mapped']} mapped), {r['frames']} frames, "
            f"{r['keys']} keys | per 1,000 frames: retarget_onto "
            f"{r['retarget_onto_s_per_1000_frames']:.3f} s, solve "
            f"{r['solve_only_s_per_1000_frames']:.3f} s, write_plan alone "
            f"{r['write_plan_s_per_1000_frames']:.3f} s | retarget/write "
            f"{r['retarget_over_write']:.1f}x, solve/write {r['solve_over_write']:.1f}x"
        )
        if r["retarget_fk_only_s_per_1000_frames"] is not None:
            print(
                f"  without keying the rig's leg IK: "
                f"{r['retarget_fk_only_s_per_1000_frames']:.3f} s per 1,000 frames "
                f"(IK keyed: {', '.join(r['leg_ik_keyed'])})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
