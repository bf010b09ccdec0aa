"""Retarget maths without Blender: rotations, Blender's roll convention, solve ↔ FK."""

import numpy as np
import pytest

from lifting.retarget import (
    RestSkeleton,
    TwistRef,
    bone_matrix,
    forward_kinematics,
    lift_rest_skeleton,
    matrix_roll,
    solve,
)
from lifting.retarget.lift_rig import LIFT_BONES, median_lengths
from lifting.retarget.rotations import make_continuous, matrix_to_quat, quat_to_matrix
from lifting.retarget.solve import DEGENERATE, rest_joint_positions, twist_vector
from lifting.skeleton import JOINT_INDEX, NUM_JOINTS


def random_rotations(rng, shape):
    q = rng.normal(size=(*shape, 4))
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def test_quaternion_matrix_round_trip():
    rng = np.random.default_rng(0)
    q = random_rotations(rng, (500,))
    q[q[:, 0] < 0] *= -1
    m = quat_to_matrix(q)
    assert np.allclose(m @ np.swapaxes(m, -1, -2), np.eye(3), atol=1e-12)
    assert np.allclose(np.linalg.det(m), 1.0)
    assert np.allclose(matrix_to_quat(m), q, atol=1e-9)
    # 180° turns (trace -1) are where naive conversions break
    half_turns = quat_to_matrix(np.array([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]]))
    assert np.allclose(quat_to_matrix(matrix_to_quat(half_turns)), half_turns, atol=1e-12)


def test_make_continuous_removes_sign_flips():
    angle = np.linspace(0, 4 * np.pi, 200)  # two full turns about z
    q = np.stack([np.cos(angle / 2), 0 * angle, 0 * angle, np.sin(angle / 2)], axis=-1)
    q = q * np.where(q[:, :1] < 0, -1, 1)  # what matrix_to_quat gives: w >= 0, flips at 180°
    assert (np.sum(q[1:] * q[:-1], axis=-1) < 0).any()
    c = make_continuous(q)
    assert (np.sum(c[1:] * c[:-1], axis=-1) > 0).all()
    assert np.allclose(quat_to_matrix(c), quat_to_matrix(q))


def test_bone_matrix_matches_blender_conventions():
    # Known Blender values: a bone pointing up (+Z) with roll 0 has x = +X and z = -Y.
    m = bone_matrix(np.zeros(3), np.array([0, 0, 1.0]), 0.0)
    assert np.allclose(m, [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-12)
    # pointing along -Y exactly: Blender's special case flips x and y
    m = bone_matrix(np.zeros(3), np.array([0, -1.0, 0]), 0.0)
    assert np.allclose(m, np.diag([-1, -1, 1.0]))
    rng = np.random.default_rng(1)
    heads, tails = rng.normal(size=(100, 3)), rng.normal(size=(100, 3))
    rolls = rng.uniform(-np.pi, np.pi, size=100)
    m = bone_matrix(heads, tails, rolls)
    assert np.allclose(
        m[..., :, 1], (tails - heads) / np.linalg.norm(tails - heads, axis=-1)[:, None]
    )
    assert np.allclose(np.linalg.det(m), 1.0)
    assert np.allclose(matrix_roll(m), rolls, atol=1e-9)


def random_skeleton(rng, num_bones=12, rolls=None, markers=True):
    """A random tree at a random rest pose.

    Joints 0..B-1 are bone heads, B..2B-1 bone tails. With ``markers``, joints 2B..3B-1 are
    points 0.1 m along each bone's local x (rigid with the bone, absent at rest) and each bone's
    twist reference points at its marker, so twist is observable; otherwise each bone's twist
    reference points at another bone's tail.
    """
    parents = np.array([-1] + [int(rng.integers(0, b)) for b in range(1, num_bones)])
    heads = np.zeros((num_bones, 3))
    tails = np.zeros((num_bones, 3))
    for b in range(num_bones):
        heads[b] = tails[parents[b]] if parents[b] >= 0 else rng.normal(size=3)
        if b % 3 == 2:  # some bones start away from the parent's tail
            heads[b] += 0.1 * rng.normal(size=3)
        tails[b] = heads[b] + rng.normal(size=3) * 0.3
    rolls = rng.uniform(-np.pi, np.pi, num_bones) if rolls is None else rolls
    if markers:
        twist = [TwistRef("vector", ((b,), (2 * num_bones + b,))) for b in range(num_bones)]
    else:
        twist = [
            TwistRef("vector", ((b,), (num_bones + (b + 1) % num_bones,))) for b in range(num_bones)
        ]
    return RestSkeleton(
        names=tuple(f"b{i}" for i in range(num_bones)),
        parents=parents,
        heads=heads,
        tails=tails,
        matrices=bone_matrix(heads, tails, rolls),
        head_joint=np.arange(num_bones),
        tail_joint=np.arange(num_bones) + num_bones,
        twist=tuple(twist),
    )


def posed_joints(rest, rotations, locations):
    heads, tails, posed = forward_kinematics(rest, rotations, locations)
    return np.concatenate([heads, tails, heads + 0.1 * posed[..., :, 0]], axis=1)


def test_solve_reproduces_positions_of_any_hierarchy():
    rng = np.random.default_rng(2)
    rest = random_skeleton(rng)
    frames, bones = 40, len(rest.names)
    rotations = random_rotations(rng, (frames, bones))
    locations = np.zeros((frames, bones, 3))
    locations[:, 0] = rng.normal(size=(frames, 3))
    joints = posed_joints(rest, rotations, locations)
    out = solve(joints, rest)
    assert out.rotations.shape == (frames, bones, 4) and out.locations.shape == (frames, bones, 3)
    again = posed_joints(rest, out.rotations, out.locations)
    assert np.allclose(again, joints, atol=1e-8)  # heads, tails and the rigid markers
    # only the root's location is needed: children keep their rest offsets
    assert np.allclose(out.locations[:, 1:], 0.0, atol=1e-8)
    assert np.allclose(out.locations[:, 0], locations[:, 0], atol=1e-8)


def test_solve_recovers_rotations_when_twist_is_observable():
    rng = np.random.default_rng(3)
    rest = random_skeleton(rng)
    rotations = random_rotations(rng, (30, len(rest.names)))
    joints = posed_joints(rest, rotations, None)
    out = solve(joints, rest)
    assert np.allclose(quat_to_matrix(out.rotations), quat_to_matrix(rotations), atol=1e-7)


def well_defined_at_rest(rest):
    """Bones whose twist reference, and every ancestor's, is clearly defined at rest."""
    joints = rest_joint_positions(rest, 2 * len(rest.names))
    ok = []
    for b, ref in enumerate(rest.twist):
        v, scale = twist_vector(ref, joints)
        y = rest.matrices[b][:, 1]
        s = np.linalg.norm(v - (v @ y) * y) / scale
        parent_ok = rest.parents[b] < 0 or ok[rest.parents[b]]
        ok.append(bool(s > DEGENERATE[1]) and parent_ok)
    return np.array(ok)


def test_posed_bones_do_not_depend_on_rest_rolls():
    """Roll only renames a bone's local axes: posed bones in the world stay the same, as long as
    the twist reference is defined at rest (otherwise the roll is what defines it)."""
    rng = np.random.default_rng(4)
    a = random_skeleton(np.random.default_rng(5), rolls=np.zeros(12), markers=False)
    b = random_skeleton(np.random.default_rng(5), rolls=rng.uniform(-3, 3, 12), markers=False)
    joints = posed_joints(a, random_rotations(rng, (10, 12)), None)
    out_a, out_b = solve(joints, a), solve(joints, b)
    world_a = out_a.orientations @ np.swapaxes(a.matrices, -1, -2)
    world_b = out_b.orientations @ np.swapaxes(b.matrices, -1, -2)
    ok = well_defined_at_rest(a)
    assert ok.sum() >= 8
    assert np.allclose(world_a[:, ok], world_b[:, ok], atol=1e-8)
    assert not np.allclose(out_a.rotations, out_b.rotations, atol=1e-3)


def test_rotations_are_continuous_through_a_spin():
    rng = np.random.default_rng(6)
    rest = random_skeleton(rng, num_bones=4)
    angle = np.linspace(0, 6 * np.pi, 300)
    q = np.zeros((300, 4, 4))
    q[..., 0] = 1
    q[:, 0] = np.stack([np.cos(angle / 2), 0 * angle, np.sin(angle / 2), 0 * angle], -1)
    q[:, 2] = np.stack([np.cos(angle / 3), np.sin(angle / 3), 0 * angle, 0 * angle], -1)
    out = solve(posed_joints(rest, q, None), rest)
    dots = np.sum(out.rotations[1:] * out.rotations[:-1], axis=-1)
    assert (dots > 0.9).all()


def lift_clip(frames=60, seed=0):
    """A synthetic walking-ish lift-layout clip: the rest pose with bent limbs and a turn."""
    rng = np.random.default_rng(seed)
    lengths = {k: v * rng.uniform(0.9, 1.1) for k, v in _typical_lengths().items()}
    rest = lift_rest_skeleton_from_lengths(lengths)
    t = np.linspace(0, 2 * np.pi, frames)
    bones = len(rest.names)
    q = np.zeros((frames, bones, 4))
    q[..., 0] = 1
    for name, amp, axis in (("thigh.L", 0.6, 1), ("shin.L", 0.8, 1), ("thigh.R", -0.6, 1),
                            ("shin.R", 0.8, 1), ("forearm.L", 0.9, 1), ("upper_arm.R", 0.5, 3),
                            ("hips", 0.4, 3), ("spine", 0.2, 2)):  # fmt: skip
        b = rest.index(name)
        half = 0.5 * amp * (np.sin(t) + 1.0 if name.startswith(("shin", "fore")) else np.sin(t))
        q[:, b, 0] = np.cos(half)
        q[:, b, axis] = np.sin(half)
    loc = np.zeros((frames, bones, 3))
    loc[:, 0, 2] = np.linspace(0, 2, frames)  # root moves along its local z (world -Y)
    heads, tails, _ = forward_kinematics(rest, q, loc)
    joints = np.zeros((frames, NUM_JOINTS, 3))
    joints[:, rest.tail_joint] = tails
    joints[:, rest.head_joint] = heads
    return joints, rest


def _typical_lengths():
    base = {("pelvis", "spine"): 0.22, ("spine", "thorax"): 0.26, ("thorax", "neck"): 0.1,
            ("neck", "head"): 0.16, ("pelvis", "l_hip"): 0.1, ("l_hip", "l_knee"): 0.44,
            ("l_knee", "l_ankle"): 0.43, ("l_ankle", "l_toe"): 0.14,
            ("thorax", "l_shoulder"): 0.16, ("l_shoulder", "l_elbow"): 0.28,
            ("l_elbow", "l_wrist"): 0.25, ("l_wrist", "l_hand"): 0.09}  # fmt: skip
    out = dict(base)
    for (a, b), v in base.items():
        out[(a.replace("l_", "r_"), b.replace("l_", "r_"))] = v
    return out


def lift_rest_skeleton_from_lengths(lengths):
    from lifting.retarget.lift_rig import rest_joints, skeleton_from_rest_joints

    return skeleton_from_rest_joints(rest_joints(lengths))


def test_lift_rest_skeleton_uses_median_lengths_and_sensible_rolls():
    joints, _ = lift_clip()
    rest = lift_rest_skeleton(joints)
    lengths = median_lengths(joints)
    for name, head, tail, *_ in LIFT_BONES:
        b = rest.index(name)
        side = head[:2] if head[:2] in ("l_", "r_") else tail[:2]
        key = (head.replace("r_", "l_"), tail.replace("r_", "l_")) if side == "r_" else (head, tail)
        assert rest.lengths[b] == pytest.approx(lengths[key], abs=1e-9), name
    # feet on the floor, facing -Y, left on +X
    assert rest.tails[rest.index("foot.L"), 2] >= -1e-9
    assert rest.heads[rest.index("thigh.L"), 0] > 0 > rest.heads[rest.index("thigh.R"), 0]
    assert rest.tails[rest.index("foot.L"), 1] < rest.heads[rest.index("foot.L"), 1]
    # the knee's hinge is the shin's local x: a natural knee bend is a rotation about x
    shin = rest.matrices[rest.index("shin.L")]
    assert np.allclose(shin[:, 0], [1, 0, 0], atol=1e-9)


def test_lift_clip_round_trip_and_knee_bends_about_x():
    joints, rest = lift_clip()
    out = solve(joints, rest)
    heads, tails, _ = forward_kinematics(rest, out.rotations, out.locations * _root_only(rest))
    again = np.zeros_like(joints)
    again[:, rest.tail_joint] = tails
    again[:, rest.head_joint] = heads
    assert np.abs(again - joints).max() < 1e-6
    shin = out.rotations[:, rest.index("shin.L")]
    assert np.abs(shin[:, 2:]).max() < 1e-6  # no y or z component: a pure hinge about x


def _root_only(rest):
    mask = np.zeros((1, len(rest.names), 1))
    mask[0, rest.parents < 0] = 1.0
    return mask


def test_straight_limbs_do_not_jitter():
    """A leg passing through straight must not make the twist jump."""
    joints, rest = lift_clip(frames=200)
    ankle = JOINT_INDEX["l_ankle"]
    # straighten the left leg exactly for the middle frames by moving the ankle
    hip, knee = joints[:, JOINT_INDEX["l_hip"]], joints[:, JOINT_INDEX["l_knee"]]
    straight = knee + (knee - hip) / np.linalg.norm(knee - hip, axis=-1, keepdims=True) * 0.43
    joints[80:120, ankle] = straight[80:120]
    out = solve(joints, rest)
    q = out.rotations[:, rest.index("thigh.L")]
    steps = np.degrees(2 * np.arccos(np.clip(np.sum(q[1:] * q[:-1], axis=-1), -1, 1)))
    assert steps.max() < 15.0


def test_missing_frames_are_filled_in_time():
    from lifting.retarget.lift_rig import fill_missing

    joints = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    holes = joints.copy()
    holes[0, 1] = np.nan
    holes[2, 0, 1] = np.inf
    filled = fill_missing(holes)
    assert np.allclose(filled[2], joints[2]) and np.allclose(filled[0, 1], joints[1, 1])
    holes[:, 1] = np.nan
    with pytest.raises(ValueError, match="joint 1"):
        fill_missing(holes)
