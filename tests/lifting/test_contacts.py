"""Foot contacts on real mocap: detection against ground-truth contacts, locking, IK, modes."""

import numpy as np
import pytest

from lifting.errors import MotionSettingsError
from lifting.mocap.bvh import load_bvh
from lifting.mocap.skeletons import to_lift
from lifting.motion import bones, contacts, synthetic
from lifting.motion.world import to_world
from lifting.skeleton import JOINT_INDEX

FPS = 30.0  # Bandai files are 30 fps
WALKS = ("bandai/dataset-1_walk_normal_001.bvh.gz", "bandai/dataset-2_walk_normal_001.bvh.gz")


def clip(mocap_dir, name):
    return to_lift(load_bvh(mocap_dir / name)).astype(np.float64)


def precision_recall(pred, truth):
    tp = (pred & truth).sum()
    return tp / max(pred.sum(), 1), tp / max(truth.sum(), 1)


def test_ground_truth_contacts_look_like_walking(mocap_dir):
    truth = synthetic.true_contacts(clip(mocap_dir, WALKS[0]), FPS)
    feet = truth.reshape(-1, 2, 2).any(-1)
    assert 0.3 < feet.mean() < 0.9  # each foot is down for part of the gait cycle
    assert feet.any(axis=1).mean() > 0.8  # and nearly always one of them is


def test_detection_on_clean_mocap(mocap_dir):
    world = clip(mocap_dir, WALKS[0])
    truth = synthetic.true_contacts(world, FPS)
    found, feet = contacts.detect_contacts(world, FPS)
    p, r = precision_recall(found, truth)
    assert p > 0.75 and r > 0.9
    np.testing.assert_array_equal(feet, found.reshape(-1, 2, 2).any(-1))


@pytest.mark.parametrize("name", WALKS)
def test_detection_and_locking_on_estimated_motion(mocap_dir, name):
    """Mocap filmed by a known camera, noisy 2D, lifter-shaped 3D errors → world stage."""
    world = clip(mocap_dir, name)
    truth = synthetic.true_contacts(world, FPS)
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(0))
    locked = to_world(pose, track, focal_px=cam.focal)
    free = to_world(pose, track, focal_px=cam.focal, foot_lock="never")
    p, r = precision_recall(locked.joint_contacts, truth)
    assert p > 0.8 and r > 0.75
    slide_free = contacts.foot_slide(free.joints, truth)
    slide_locked = contacts.foot_slide(locked.joints, truth)
    assert slide_locked < 0.5 < slide_free  # cm/frame during true contacts


def test_never_changes_nothing_and_always_finds_more(mocap_dir):
    world = clip(mocap_dir, WALKS[0])
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(1))
    never = to_world(pose, track, focal_px=cam.focal, foot_lock="never")
    auto = to_world(pose, track, focal_px=cam.focal, foot_lock="auto")
    assert not np.allclose(never.joints, auto.joints)
    found_auto, _ = contacts.detect_contacts(never.joints, FPS, "auto")
    found_always, _ = contacts.detect_contacts(never.joints, FPS, "always")
    assert found_always.sum() > found_auto.sum()
    assert np.all(found_always[found_auto])
    with pytest.raises(MotionSettingsError):
        contacts.detect_contacts(never.joints, FPS, "sometimes")


def test_lock_holds_feet_and_keeps_leg_lengths(mocap_dir):
    world = clip(mocap_dir, WALKS[0])
    rng = np.random.default_rng(2)
    noisy = world + rng.normal(0, 0.01, world.shape)  # 1 cm jitter on every joint
    noisy = bones.lock_bone_lengths(noisy, bones.median_bone_lengths(noisy))  # as to_world does
    truth = synthetic.true_contacts(world, FPS)
    locked = contacts.lock_feet(noisy, truth, FPS)
    assert contacts.foot_slide(locked, truth) < 0.1 < contacts.foot_slide(noisy, truth)
    for hip, knee, ankle in (("l_hip", "l_knee", "l_ankle"), ("r_hip", "r_knee", "r_ankle")):
        h, k, a = (JOINT_INDEX[n] for n in (hip, knee, ankle))
        for x, y in ((h, k), (k, a)):
            before = np.linalg.norm(noisy[:, x] - noisy[:, y], axis=-1)
            after = np.linalg.norm(locked[:, x] - locked[:, y], axis=-1)
            np.testing.assert_allclose(after, before, atol=1e-6)
    # Outside contacts and their blends, nothing but the whole-body shift changes the pose.
    rel = lambda j: j - j[:, :1]  # noqa: E731
    arms = [JOINT_INDEX[n] for n in ("l_wrist", "r_wrist", "head")]
    np.testing.assert_allclose(rel(locked)[:, arms], rel(noisy)[:, arms], atol=1e-9)


def test_two_bone_ik_reaches_and_bends_towards_the_pole():
    hip = np.zeros((1, 3))
    knee = np.array([[0.0, 0.1, -0.4]])  # bent forwards (+y)
    target = np.array([[0.0, 0.0, -0.7]])
    k, a = contacts.two_bone_ik(hip, knee, target, 0.45, 0.45)
    np.testing.assert_allclose(a, target)
    assert np.linalg.norm(k - hip) == pytest.approx(0.45)
    assert np.linalg.norm(a - k) == pytest.approx(0.45)
    assert k[0, 1] > 0  # bends the way the knee did
    far = np.array([[0.0, 0.0, -2.0]])
    _, a = contacts.two_bone_ik(hip, knee, far, 0.45, 0.45)
    assert np.linalg.norm(a) == pytest.approx(0.9 * 0.999)


def test_hysteresis_and_run_cleaning():
    enter = np.array([0, 1, 0, 0, 0, 0, 1, 0], bool)[:, None]
    leave = np.array([0, 0, 0, 1, 0, 0, 0, 1], bool)[:, None]
    state = contacts.hysteresis(enter, leave)[:, 0]
    assert state.tolist() == [False, True, True, False, False, False, True, False]
    mask = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 1], bool)[:, None]
    cleaned = contacts.clean_runs(mask, min_on=2, max_gap=1)[:, 0]
    assert cleaned.astype(int).tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]


def test_a_foot_much_slower_than_its_twin_counts_as_planted():
    t = np.arange(60) / FPS
    joints = np.zeros((60, 21, 3))
    left = [JOINT_INDEX["l_ankle"], JOINT_INDEX["l_toe"]]
    right = [JOINT_INDEX["r_ankle"], JOINT_INDEX["r_toe"]]
    joints[:, left, 0] = (1.0 * t)[:, None]  # drifting at 1 m/s: above SPEED_ON
    joints[:, right, 0] = (3.0 * t)[:, None]  # the other foot swings past at 3 m/s
    _, feet = contacts.detect_contacts(joints, FPS)
    assert feet[10:50, 0].all() and not feet[10:50, 1].any()
    joints[:, right, 0] = (1.2 * t)[:, None]  # both drift alike: neither is planted
    _, feet = contacts.detect_contacts(joints, FPS)
    assert not feet[10:50].any()
