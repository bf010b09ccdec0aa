"""World stage on the project's sample clip (tests/data/sample): real MediaPipe keypoints.

The clip is a rendered body walking along mocap with a known camera (``walk.npz``). The 2D
comes from MediaPipe on the video; the 3D from the bundled lifter when weights exist, else
from the true camera-frame pose with lifter-shaped errors (:func:`synthetic.lifter_like`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lifting.inference import Pose3D
from lifting.motion import contacts, synthetic
from lifting.motion.world import to_world

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
VIDEO, TRUTH = SAMPLE / "walk.mp4", SAMPLE / "walk.npz"

pytestmark = pytest.mark.skipif(
    not (VIDEO.exists() and TRUTH.exists()), reason="the sample clip is not in tests/data/sample"
)


@pytest.fixture(scope="module")
def scene():
    from lifting.keypoints import extract_keypoints

    with np.load(TRUTH) as z:
        truth = {k: z[k] for k in z.files}
    cam = synthetic.StaticCamera(
        float(truth["focal_px"]),
        int(truth["width"]),
        int(truth["height"]),
        truth["camera_rotation"].astype(np.float64),
        truth["camera_location"].astype(np.float64),
    )
    return extract_keypoints(VIDEO, workers=1), truth["joints_world"].astype(np.float64), cam


def check(motion, world, cam, *, height_m, tilt_deg, travel_fraction):
    r = motion.report
    assert r.detection_coverage > 0.95
    assert 0 < r.reprojection_px < 15  # 640×360 frame, body ~250 px tall
    assert r.jitter < r.jitter_raw / 3
    assert contacts.foot_slide(motion.joints, synthetic.true_contacts(world, 30.0)) < 0.5
    assert r.camera["height_m"] == pytest.approx(cam.location[2], abs=height_m)
    assert r.camera["tilt_deg"] == pytest.approx(cam.tilt_deg, abs=tilt_deg)
    canon = cam.canonical(world)
    err = np.linalg.norm((motion.root - motion.root[0]) - (canon[:, 0] - canon[0, 0]), axis=-1)
    travelled = np.linalg.norm(np.diff(canon[:, 0, :2], axis=0), axis=-1).sum()
    assert err.mean() < travel_fraction * travelled


def test_world_stage_on_real_keypoints_with_imitated_3d(scene):
    track, world, cam = scene
    cam_joints = cam.to_camera(world)
    joints3d, root = synthetic.lifter_like(
        cam_joints - cam_joints[:, :1], cam_joints[:, 0], 30.0, np.random.default_rng(0)
    )
    motion = to_world(Pose3D(joints3d=joints3d, root=root), track, focal_px=cam.focal)
    check(motion, world, cam, height_m=0.3, tilt_deg=3.0, travel_fraction=0.06)


def test_world_stage_on_real_keypoints_and_the_bundled_lifter(scene):
    from lifting.errors import LiftError
    from lifting.inference import lift

    track, world, cam = scene
    try:
        pose = lift(track.lift2d, track.width, track.height, fps=track.fps, device="cpu")
    except (LiftError, FileNotFoundError) as err:
        pytest.skip(f"no bundled lifter: {err}")
    motion = to_world(pose, track, focal_px=cam.focal)
    check(motion, world, cam, height_m=0.6, tilt_deg=6.0, travel_fraction=0.2)
