"""Pose-space augmentation and constructed seated/crouched/kneeling poses."""

import numpy as np
import pytest

from lifting import skeleton as sk
from lifting.mocap.dataset import load_split
from lifting.train import augment as A
from lifting.train.constructed_poses import KINDS, constructed_poses, kneel

FILES = [
    "bandai/dataset-2_raise-up-both-hands_elderly_001.bvh.gz",
    "bandai/dataset-1_walk_happy_001.bvh.gz",
    "cmu/007_03.bvh.gz",
]
J = sk.JOINT_INDEX
FEET = [J["l_ankle"], J["r_ankle"], J["l_toe"], J["r_toe"]]


@pytest.fixture(scope="module")
def clips(mocap_dir):
    return load_split("augment-test", mocap_dir=mocap_dir, cache_dir=False, files=FILES)


@pytest.fixture(scope="module")
def windows(clips):
    rng = np.random.default_rng(0)
    out = []
    for k in range(24):
        j = clips[k % len(clips)].joints
        s = rng.integers(0, len(j) - 50)
        out.append(j[s : s + 50])
    return np.stack(out).astype(np.float64)


def toe_floor(w):
    return np.percentile(w[..., A.TOES, 2].min(-1), 5, axis=1)


def test_perturb_keeps_bone_lengths_floor_and_limits(windows):
    out = A.perturb_joints(windows, np.random.default_rng(1))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(sk.bone_lengths(out), sk.bone_lengths(windows), atol=1e-6)
    np.testing.assert_allclose(toe_floor(out), toe_floor(windows), atol=1e-6)
    moved = np.linalg.norm(out - windows, axis=-1).max(axis=(1, 2))
    assert (moved > 0.02).all()  # it does something to every window
    for mid, top, child in [("l_knee", "l_hip", "l_ankle"), ("r_elbow", "r_shoulder", "r_wrist")]:
        u = out[..., J[mid], :] - out[..., J[top], :]
        v = out[..., J[child], :] - out[..., J[mid], :]
        cos = np.einsum("...i,...i", u, v) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() <= 150.5


def test_knee_flexion_goes_backwards():
    # a straight vertical leg, facing +Y: flexing the knee must move the ankle backwards (-Y)
    w = np.zeros((1, 1, 21, 3))
    w[..., :, 2] = 1.0
    w[..., J["l_hip"], :] = [-0.1, 0, 0.9]  # facing +Y with Z up, the left is -X
    w[..., J["r_hip"], :] = [0.1, 0, 0.9]
    w[..., J["l_knee"], :] = [-0.1, 0, 0.5]
    w[..., J["l_ankle"], :] = [-0.1, 0, 0.1]
    w[..., J["l_toe"], :] = [-0.1, 0.1, 0.03]
    left, forward = A.body_axes(w)
    np.testing.assert_allclose(forward[0, 0], [0, 1, 0], atol=1e-9)
    knee, ankle = w[..., J["l_knee"], :], w[..., J["l_ankle"], :]
    # the straight-leg fallback of perturb_joints: knees flex about +left
    sign = A.HINGES[J["l_ankle"]][1]
    rot = A.rotation_matrices(sign * left[0, 0], np.array(np.deg2rad(30)))
    bent = w.copy()
    A.rotate_subtree(bent, J["l_ankle"], knee, np.broadcast_to(rot, (1, 1, 3, 3)))
    assert bent[0, 0, J["l_ankle"], 1] < ankle[0, 0, 1] - 0.1


def test_scale_bones_changes_proportions_keeps_feet_on_floor(windows):
    rng = np.random.default_rng(2)
    out = A.scale_bones(windows, rng)
    assert np.isfinite(out).all()
    ratio = sk.bone_lengths(out).mean(1) / sk.bone_lengths(windows).mean(1)
    names = [sk.LIFT_JOINTS[c] for c, _ in sk.BONES]
    hips = ratio[:, names.index("l_hip")]
    assert hips.min() > 0.9 * 0.9 - 0.02 and hips.max() < 1.8 * 1.1 * 1.016 + 0.01
    assert hips.std() > 0.1
    thigh = ratio[:, names.index("l_knee")]
    assert thigh.min() > 0.85 * 0.9 * 0.98 and thigh.max() < 1.15 * 1.1 * 1.02
    np.testing.assert_allclose(toe_floor(out), toe_floor(windows), atol=1e-6)
    # a rigid body over time: each bone keeps one length through the window
    # (thorax→shoulder is not rigid in the sources: clavicles move)
    before = sk.bone_lengths(windows).std(axis=1)
    assert (sk.bone_lengths(out).std(axis=1) <= 1.8 * 1.1 * 1.02 * before + 1e-6).all()
    # given factors are applied exactly
    f = np.ones((len(windows), 21))
    f[:, J["l_knee"]] = 1.1
    exact = A.scale_bones(windows, rng, factors=f)
    np.testing.assert_allclose(
        sk.bone_lengths(exact)[..., names.index("l_knee")],
        1.1 * sk.bone_lengths(windows)[..., names.index("l_knee")],
        rtol=1e-9,
    )


def test_recombine_takes_upper_body_from_partner(windows):
    partner = np.roll(np.arange(len(windows)), 1)
    out = A.recombine(windows, np.random.default_rng(3), partner)
    np.testing.assert_array_equal(out[..., A.LOWER, :], windows[..., A.LOWER, :])
    bl, donor = sk.bone_lengths(out), sk.bone_lengths(windows[partner])
    upper_bones = [i for i, (c, p) in enumerate(sk.BONES) if c in A.UPPER and p != 0]
    np.testing.assert_allclose(bl[..., upper_bones], donor[..., upper_bones], atol=1e-6)
    # the donor's trunk now faces where this window's pelvis faces
    sh = out[..., J["l_shoulder"], :] - out[..., J["r_shoulder"], :]
    hip_left, _ = A.body_axes(out)
    assert np.median(np.einsum("...i,...i", sh, hip_left)) > 0.1


@pytest.mark.parametrize("pose", ["sit", "crouch"])
def test_bend_keeps_feet_and_bones_and_lowers_pelvis(windows, pose):
    amount = np.ones(windows.shape[:2])
    out = A.bend(windows, amount, pose)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(sk.bone_lengths(out), sk.bone_lengths(windows), atol=1e-6)
    moved = np.linalg.norm(out[..., FEET, :] - windows[..., FEET, :], axis=-1)
    assert np.median(moved) < 1e-6  # feet stay where they were (unless out of reach)
    assert np.median(out[..., 0, 2]) < np.median(windows[..., 0, 2]) - 0.25
    assert (out[..., J["l_knee"], 2] > out[..., J["l_ankle"], 2]).mean() > 0.9
    # amount 0 changes nothing
    np.testing.assert_allclose(A.bend(windows, amount * 0, pose), windows, atol=5e-4)


def test_augment_poses_mix(windows):
    out = A.augment_poses(windows, np.random.default_rng(4), p_bend=0.5)
    assert out.shape == windows.shape and out.dtype == np.float32
    assert np.isfinite(out).all()
    # feet on the floor: as low as before (kneeling puts them exactly on it), never below
    assert (toe_floor(out) <= toe_floor(windows) + 1e-3).all()
    assert (toe_floor(out) >= 0.03).all()
    assert (out[..., 0, 2] < 0.65).any()  # some seated/crouched frames


def test_constructed_poses(clips):
    poses = constructed_poses(clips, per_kind=2, frames=40)
    assert [p.action for p in poses] == [k for k in KINDS for _ in range(2)]
    again = constructed_poses(clips, per_kind=2, frames=40)
    for a, b in zip(poses, again, strict=True):
        np.testing.assert_array_equal(a.joints, b.joints)
    src = {c.name: c.joints for c in clips}
    for p in poses:
        j = p.joints.astype(np.float64)
        original = src[p.name.split("/", 2)[2]][: len(j)]
        assert np.isfinite(j).all()
        np.testing.assert_allclose(sk.bone_lengths(j), sk.bone_lengths(original), atol=1e-4)
        assert j[..., FEET, 2].min() > -0.01  # nothing below the floor
        if p.action in ("seated", "crouched", "kneeling", "kneeling-one"):
            assert j[:, 0, 2].max() < 0.62  # pelvis low
    kneeling = next(p for p in poses if p.action == "kneeling").joints
    assert np.abs(kneeling[:, [J["l_knee"], J["r_knee"]], 2] - 0.05).max() < 0.02


def test_kneel_one_plants_the_other_foot(clips):
    w = clips[0].joints[None, :30].astype(np.float64)
    out = kneel(w, one_knee=True)
    assert np.abs(out[..., J["r_knee"], 2] - 0.05).max() < 0.02
    assert np.abs(out[..., J["l_ankle"], 2] - 0.08).max() < 0.03
    assert (out[..., J["l_knee"], 2] > 0.3).all()
