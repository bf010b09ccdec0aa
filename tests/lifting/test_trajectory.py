"""Root trajectory, floor and camera pose on synthetic projections of mocap with known cameras."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from lifting.errors import (
    FileFormatError,
    MotionSettingsError,
    NoPersonFoundError,
    PoseTrackMismatchError,
)
from lifting.mocap.bvh import load_bvh
from lifting.mocap.skeletons import to_lift
from lifting.motion import bones, ground, synthetic, trajectory
from lifting.motion.world import Motion, to_world
from lifting.skeleton import bone_lengths

FPS = 30.0
WALK = "bandai/dataset-1_walk_normal_001.bvh.gz"
BOW = "bandai/dataset-1_bow_normal_001.bvh.gz"


def clip(mocap_dir, name):
    return to_lift(load_bvh(mocap_dir / name)).astype(np.float64)


def test_root_is_exact_on_noise_free_projections(mocap_dir):
    world = clip(mocap_dir, WALK)
    cam = synthetic.random_camera(world, np.random.default_rng(0))
    cam_joints = cam.to_camera(world)
    kp = cam.project(world)
    conf = np.ones(kp.shape[:2])
    rel = cam_joints - cam_joints[:, :1]
    root, solved = trajectory.solve_root(rel, kp, conf, cam.focal, (480, 270))
    assert solved.all()
    np.testing.assert_allclose(root, cam_joints[:, 0], atol=1e-4)
    # Frames without keypoints are interpolated from their neighbours.
    conf[50:55] = 0
    root, solved = trajectory.solve_root(rel, kp, conf, cam.focal, (480, 270))
    assert not solved[50:55].any()
    np.testing.assert_allclose(root[50:55], cam_joints[50:55, 0], atol=0.02)
    # ... or take the trajectory model's root there, rescaled to agree with the geometry (a
    # model that assumed another focal length is off by a constant factor).
    conf[60:90] = 0
    model_root = cam_joints[:, 0] * 1.3
    root, _ = trajectory.solve_root(rel, kp, conf, cam.focal, (480, 270), prior=model_root)
    np.testing.assert_allclose(root[60:90], cam_joints[60:90, 0], atol=1e-3)
    # A model that gave no root (zeros) is ignored.
    root, _ = trajectory.solve_root(rel, kp, conf, cam.focal, (480, 270), prior=0 * model_root)
    np.testing.assert_allclose(root[:50], cam_joints[:50, 0], atol=1e-4)
    assert np.all(root[60:90, 2] > 1.0)


def test_root_with_noisy_keypoints(mocap_dir):
    world = clip(mocap_dir, WALK)
    rng = np.random.default_rng(1)
    cam = synthetic.random_camera(world, rng)
    cam_joints = cam.to_camera(world)
    kp = synthetic.render_keypoints(world, cam, rng)
    rel = cam_joints - cam_joints[:, :1]
    root, _ = trajectory.solve_root(rel, kp[..., :2], kp[..., 2], cam.focal, (480, 270))
    err = np.abs(root - cam_joints[:, 0])
    depth = cam_joints[:, 0, 2]
    assert np.median(err[:, 2] / depth) < 0.03  # depth within a few per cent
    assert np.median(err[:, 0]) < 0.03  # across the image within centimetres
    smooth = trajectory.smooth_depth(
        root, rel, kp[..., :2], kp[..., 2], focal=cam.focal, center=(480, 270), fps=FPS
    )
    assert np.abs(smooth - cam_joints[:, 0])[:, 2].mean() < err[:, 2].mean()


@pytest.mark.parametrize("name", [WALK, BOW])
def test_floor_gives_camera_tilt_and_height(mocap_dir, name):
    world = clip(mocap_dir, name)
    for seed in range(3):
        cam = synthetic.random_camera(world, np.random.default_rng(seed))
        cam_joints = cam.to_camera(world)
        prior = ground.body_up(cam_joints)
        candidates = ground.floor_candidates(cam_joints, FPS, prior)
        up = ground.fit_floor(candidates, prior)
        true_up = cam.rotation.T @ [0.0, 0.0, 1.0]
        assert np.degrees(np.arccos(up @ true_up)) < 4.0
        distance = np.median(cam_joints[:, 0, 2])
        height = ground.camera_height(candidates, up)
        assert height == pytest.approx(cam.location[2], abs=0.05 * distance)


def test_world_motion_recovers_the_trajectory(mocap_dir):
    world = clip(mocap_dir, WALK)
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(3))
    motion = to_world(pose, track, focal_px=cam.focal)
    truth = cam.canonical(world)
    err = np.linalg.norm((motion.root - motion.root[0]) - (truth[:, 0] - truth[0, 0]), axis=-1)
    travelled = np.linalg.norm(np.diff(truth[:, 0, :2], axis=0), axis=-1).sum()
    assert travelled > 5.0
    assert err.mean() / travelled < 0.1  # mostly the lifted body's scale error (3 % here)
    assert np.abs(motion.joints[..., 2].min()) < 0.1  # standing on the floor at Z = 0
    assert motion.report.camera["tilt_deg"] == pytest.approx(cam.tilt_deg, abs=3.0)
    assert motion.report.camera["height_m"] == pytest.approx(cam.location[2], abs=0.3)


def test_user_camera_overrides_and_in_place(mocap_dir):
    world = clip(mocap_dir, WALK)
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(4))
    m = to_world(pose, track, focal_px=cam.focal, camera_height=2.5, tilt=10.0)
    assert m.camera["location"][2] == 2.5
    assert m.report.camera["tilt_deg"] == pytest.approx(10.0)
    assert m.report.camera["estimated"] == []
    forward = m.camera["rotation"] @ [0.0, 0.0, 1.0]
    assert forward[2] == pytest.approx(-np.sin(np.radians(10.0)))
    # A known camera height sets the scene's scale: the feet still reach the floor.
    toe_heights = m.joints[:, [18, 17], 2][m.joint_contacts[:, [1, 3]]]  # l_toe, r_toe
    assert np.median(toe_heights) == pytest.approx(0.04, abs=0.05)
    auto = to_world(pose, track)
    assert auto.camera["focal_px"] == pytest.approx(trajectory.default_focal(960))
    assert sorted(auto.report.camera["estimated"]) == ["height", "tilt"]
    placed = to_world(pose, track, focal_px=cam.focal, in_place=True)
    np.testing.assert_allclose(placed.root[:, :2], 0.0, atol=1e-5)
    free = to_world(pose, track, focal_px=cam.focal)
    np.testing.assert_allclose(placed.root[:, 2], free.root[:, 2], atol=1e-5)
    rel = lambda j: j - j[:, :1]  # noqa: E731
    np.testing.assert_allclose(rel(placed.joints), rel(free.joints), atol=1e-5)  # turning kept


def test_subject_height_sets_the_scale(mocap_dir):
    world = clip(mocap_dir, WALK)
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(12))
    truth = bones.standing_height(bones.median_bone_lengths(world))
    assert 1.4 < truth < 1.8  # the formula gives a person's height on real mocap
    small = to_world(pose, track, focal_px=cam.focal, subject_height=1.5)
    tall = to_world(pose, track, focal_px=cam.focal, subject_height=1.8)
    assert small.report.camera["subject_height_m"] == pytest.approx(1.5)

    def distance(m):  # median camera-to-pelvis distance, m
        return np.median(np.linalg.norm(m.root - m.camera["location"], axis=-1))

    expected = (1.8 - bones.ANKLE_HEIGHT) / (1.5 - bones.ANKLE_HEIGHT)
    assert distance(tall) / distance(small) == pytest.approx(expected, rel=0.02)
    np.testing.assert_allclose(
        bone_lengths(tall.joints[40]), expected * bone_lengths(small.joints[40]), rtol=0.02
    )
    assert tall.report.reprojection_px == pytest.approx(small.report.reprojection_px, rel=0.05)
    # With the true pose at the wrong scale, the true height gives the true distance.
    cam_joints = cam.to_camera(world)
    pose.joints3d = 0.8 * (cam_joints - cam_joints[:, :1])
    wrong = to_world(pose, track, focal_px=cam.focal)
    right = to_world(pose, track, focal_px=cam.focal, subject_height=truth)
    true_distance = np.median(np.linalg.norm(world[:, 0] - cam.location, axis=-1))
    assert distance(wrong) == pytest.approx(0.8 * true_distance, rel=0.03)
    assert distance(right) == pytest.approx(true_distance, rel=0.03)


def test_bad_inputs_raise(mocap_dir):
    world = clip(mocap_dir, BOW)[:60]
    pose, track, _ = synthetic.make_scene(world, FPS, np.random.default_rng(5))
    short = SimpleNamespace(joints3d=pose.joints3d[:50], root=pose.root[:50])
    with pytest.raises(PoseTrackMismatchError):
        to_world(short, track)
    nobody = SimpleNamespace(**vars(track))
    nobody.detected = np.zeros_like(track.detected)
    with pytest.raises(NoPersonFoundError):
        to_world(pose, nobody)
    for kw in (
        {"focal_px": -5.0},
        {"camera_height": 0.0},
        {"tilt": 95.0},
        {"strength": 2.0},
        {"foot_lock": "maybe"},
        {"smoothing": "median"},
    ):
        with pytest.raises(MotionSettingsError):
            to_world(pose, track, **kw)


def test_progress_and_cancel(mocap_dir):
    import threading

    from lifting.errors import Cancelled

    world = clip(mocap_dir, BOW)[:60]
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(13))
    seen = []
    to_world(pose, track, focal_px=cam.focal, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 5
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        to_world(pose, track, progress=seen.append, cancel=stop)
    track.fps = float("nan")
    with pytest.raises(MotionSettingsError):
        to_world(pose, track)


def test_motion_file_round_trip(mocap_dir, tmp_path):
    world = clip(mocap_dir, BOW)[:90]
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(6))
    m = to_world(pose, track, focal_px=cam.focal)
    m.save(tmp_path / "m.npz")
    back = Motion.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.joints, m.joints)
    np.testing.assert_array_equal(back.contacts, m.contacts)
    np.testing.assert_allclose(back.camera["rotation"], m.camera["rotation"])
    assert back.report.to_dict() == m.report.to_dict()
    np.savez(tmp_path / "bad.npz", joints=m.joints)
    with pytest.raises(FileFormatError):
        Motion.load(tmp_path / "bad.npz")


def test_short_clips_and_undetected_frames(mocap_dir):
    world = clip(mocap_dir, BOW)
    for t in (1, 2, 5):
        pose, track, cam = synthetic.make_scene(world[:t], FPS, np.random.default_rng(t))
        m = to_world(pose, track, focal_px=cam.focal)
        assert m.joints.shape == (t, 21, 3) and np.isfinite(m.joints).all()
        assert np.isnan(m.report.jitter) == (t < 3)
        json.dumps(m.report.to_dict(), allow_nan=False)
    pose, track, cam = synthetic.make_scene(world[:90], FPS, np.random.default_rng(7))
    track.detected[30:40] = False
    track.lift2d[30:40] = np.nan  # as the extractor writes frames where nobody was found
    track.lift2d[30:40, :, 2] = 0
    garbage = np.random.default_rng(8).normal(0, 0.3, (10, 21, 3))
    pose.joints3d[30:40] += garbage  # a lifter's guess where nobody was seen
    m = to_world(pose, track, focal_px=cam.focal)
    truth = cam.canonical(world[:90])
    rel = lambda j: j - j[:, :1]  # noqa: E731
    err = np.linalg.norm(rel(m.joints) - rel(truth), axis=-1).mean(axis=1)
    assert err[30:40].max() < 1.3 * err[:30].mean()  # bridged over, not the garbage


@pytest.mark.parametrize("height", [0.4, 3.5])
def test_floor_from_a_low_or_a_high_camera(mocap_dir, height):
    world = clip(mocap_dir, WALK)
    centre = world.reshape(-1, 3).mean(axis=0)
    target = np.array([centre[0], centre[1], 0.9])
    location = target + np.array([6.0, 2.0, height - 0.9])
    cam = synthetic.StaticCamera(800.0, 960, 540, synthetic.look_at(location, target), location)
    cam_joints = cam.to_camera(world)
    tilt_err, height_err = [], []
    for seed in range(3):  # the errors vary with the noise: judge their mean
        rng = np.random.default_rng(20 + seed)
        pose, track, _ = synthetic.make_scene(world, FPS, rng)
        pose.joints3d, pose.root = synthetic.lifter_like(
            cam_joints - cam_joints[:, :1], cam_joints[:, 0], FPS, rng
        )
        track.lift2d = synthetic.render_keypoints(world, cam, rng)
        track.detected = track.lift2d[..., 2].max(axis=1) > 0
        m = to_world(pose, track, focal_px=cam.focal)
        tilt_err.append(abs(m.report.camera["tilt_deg"] - cam.tilt_deg))
        height_err.append(abs(m.report.camera["height_m"] - height))
        toe_heights = m.joints[:, [18, 17], 2][m.joint_contacts[:, [1, 3]]]  # l_toe, r_toe
        assert np.median(toe_heights) == pytest.approx(0.04, abs=0.04)  # standing on Z = 0
    assert np.mean(tilt_err) < 3.0
    assert np.mean(height_err) < 0.3
