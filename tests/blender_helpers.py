"""Helpers for the Blender tiers (tests/scene, tests/operators, bench/blender.py): real inputs
made on the spot — videos written with OpenCV, pipeline results from real mocap — and a
snapshot of bpy.data to prove that nothing was created."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CLIP = "bandai/dataset-1_walk_normal_001.bvh.gz"


def mocap_result(mocap_dir: Path, frames: int = 90, clip: str = CLIP, video: str = "clip.mp4"):
    """A PipelineResult whose motion is a mocap clip (world, Z up) seen by a random camera."""
    from lifting.keypoints.track import Track2D
    from lifting.mocap.bvh import load_bvh
    from lifting.mocap.skeletons import to_lift
    from lifting.motion import synthetic
    from lifting.motion.report import QualityReport
    from lifting.motion.world import Motion
    from lifting.pipeline import PipelineResult

    joints = to_lift(load_bvh(mocap_dir / clip))[:frames].astype(np.float64)
    rng = np.random.default_rng(0)
    cam = synthetic.random_camera(joints, rng)
    kp = synthetic.render_keypoints(joints, cam, rng)
    t = len(joints)
    track = Track2D(
        keypoints=np.zeros((t, 33, 3)),
        presence=np.full((t, 33), np.nan),
        world=np.zeros((t, 33, 3)),
        lift2d=kp,
        detected=np.ones(t, bool),
        timestamps=np.arange(t) / 30.0,
        frame_indices=np.arange(t),
        fps=30.0,
        width=cam.width,
        height=cam.height,
        source=video,
    )
    camera = {
        "focal_px": cam.focal,
        "width": cam.width,
        "height": cam.height,
        "location": cam.location,
        "rotation": cam.rotation,
    }
    motion = Motion(
        joints=joints.astype(np.float32),
        root=joints[:, 0].astype(np.float32),
        contacts=np.zeros((t, 2), bool),
        fps=30.0,
        camera=camera,
        report=QualityReport(frames=t, fps=30.0, detection_coverage=1.0),
    )
    return PipelineResult(track=track, pose=None, motion=motion, timings={"world": 0.0})


def write_video(path, frames: int = 120, size=(320, 240), fps: float = 30.0):
    """An mp4 of moving noise (no person in it), written with OpenCV."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


def data_snapshot():
    """Names of every object, action, camera, armature and movie clip in bpy.data."""
    import bpy

    return {
        kind: sorted(x.name for x in getattr(bpy.data, kind))
        for kind in ("objects", "actions", "cameras", "armatures", "movieclips", "images")
    }
