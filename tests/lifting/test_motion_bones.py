"""Bone-length locking and the camera → Blender frame conversion."""

import numpy as np
import pytest

from lifting.motion import bones, frames
from lifting.skeleton import BONES, LEFT, RIGHT, bone_lengths


def noisy_poses(t=120, seed=0):
    rng = np.random.default_rng(seed)
    rest = rng.normal(0, 0.3, (21, 3))
    rest[0] = 0
    return rest + rng.normal(0, 0.01, (t, 21, 3)), rest


def test_locking_gives_constant_lengths_near_the_originals():
    poses, _ = noisy_poses()
    lengths = bones.median_bone_lengths(poses, symmetric=False)
    locked = bones.lock_bone_lengths(poses, lengths)
    got = bone_lengths(locked)
    np.testing.assert_allclose(
        got, np.broadcast_to(lengths[[c for c, _ in BONES]], got.shape), atol=1e-9
    )
    assert bones.bone_length_variation(locked) < 1e-6 < bones.bone_length_variation(poses)
    # Joints move by no more than the noise, and bones keep their direction.
    assert np.linalg.norm(locked - poses, axis=-1).mean() < 0.015
    for c, p in BONES:
        a, b = poses[:, c] - poses[:, p], locked[:, c] - locked[:, p]
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        assert cos.min() > 0.95


def test_locking_is_closer_to_the_truth_than_the_noisy_input():
    poses, rest = noisy_poses(seed=1)
    locked = bones.lock_bone_lengths(poses, bones.median_bone_lengths(poses, symmetric=False))
    truth = np.broadcast_to(rest, poses.shape)
    err = lambda x: np.linalg.norm((x - x[:, :1]) - (truth - truth[:, :1]), axis=-1).mean()  # noqa: E731
    assert err(locked) < err(poses)


def test_symmetric_lengths_are_shared_by_left_and_right():
    poses, _ = noisy_poses(seed=2)
    lengths = bones.median_bone_lengths(poses, symmetric=True)
    np.testing.assert_allclose(lengths[list(LEFT)], lengths[list(RIGHT)])
    assert lengths[0] == 0.0


def test_median_lengths_ignore_undetected_frames():
    poses, _ = noisy_poses(seed=3)
    poses[:40] *= 3.0  # garbage while nobody was detected
    valid = np.arange(len(poses)) >= 40
    a = bones.median_bone_lengths(poses, valid)
    b = bones.median_bone_lengths(poses[40:])
    np.testing.assert_allclose(a, b)


def test_camera_to_blender_is_the_documented_axis_swap():
    p = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(frames.camera_to_blender(p), [[1.0, 3.0, -2.0]])
    np.testing.assert_array_equal(frames.blender_to_camera(frames.camera_to_blender(p)), p)
    np.testing.assert_allclose(frames.CAMERA_TO_BLENDER @ p[0], frames.camera_to_blender(p)[0])


@pytest.mark.parametrize(("tilt", "roll"), [(0.0, 0.0), (12.0, 0.0), (8.0, -4.0), (-5.0, 3.0)])
def test_camera_rotation_from_up(tilt, roll):
    up_b = frames.up_from_tilt(tilt, roll)
    up_cam = frames.blender_to_camera(up_b)
    rot = frames.camera_rotation(up_cam)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    np.testing.assert_allclose(rot @ up_cam, [0, 0, 1], atol=1e-12)  # up maps to world Z
    forward = rot @ [0.0, 0.0, 1.0]
    assert forward[2] == pytest.approx(-np.sin(np.radians(tilt)), abs=1e-9)  # tilt looks down
    assert forward[1] > 0.9  # the camera looks along world +Y
    assert frames.tilt_roll_from_up(up_b) == pytest.approx((tilt, roll))
    pts = np.random.default_rng(0).normal(size=(5, 3))
    loc = np.array([0.0, 0.0, 1.6])
    np.testing.assert_allclose(frames.to_camera(frames.to_world(pts, rot, loc), rot, loc), pts)


def test_blender_camera_matrix_looks_along_minus_z():
    rot = frames.camera_rotation(frames.blender_to_camera(frames.up_from_tilt(10.0)))
    m = frames.blender_camera_matrix(rot, np.array([0.0, 0.0, 1.5]))
    np.testing.assert_allclose(-m[:3, 2], rot @ [0, 0, 1])  # Blender camera forward is -Z
    np.testing.assert_allclose(m[:3, 1], rot @ [0, -1, 0])  # its +Y is image up
