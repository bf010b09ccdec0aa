import numpy as np

from lifting import skeleton as sk


def test_layout_starts_with_human36m_and_parents_precede_children():
    assert sk.LIFT_JOINTS[:3] == ("pelvis", "r_hip", "r_knee")
    assert sk.LIFT_JOINTS[16] == "r_wrist"
    assert len(sk.PARENTS) == sk.NUM_JOINTS
    assert all(p < j for j, p in enumerate(sk.PARENTS))
    assert sk.PARENTS[:17] == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)


def test_left_and_right_names_match():
    for left, right in zip(sk.LEFT, sk.RIGHT, strict=True):
        assert sk.LIFT_JOINTS[left].replace("l_", "r_", 1) == sk.LIFT_JOINTS[right]


def test_mirror_is_an_involution_and_swaps_sides():
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(4, sk.NUM_JOINTS, 3))
    np.testing.assert_allclose(sk.mirror(sk.mirror(pose)), pose)
    m = sk.mirror(pose)
    np.testing.assert_allclose(m[:, sk.JOINT_INDEX["l_wrist"], 0], -pose[:, 16, 0])
    np.testing.assert_allclose(m[:, sk.JOINT_INDEX["l_wrist"], 1:], pose[:, 16, 1:])


def test_bone_lengths_are_mirror_invariant_per_side():
    rng = np.random.default_rng(1)
    pose = rng.normal(size=(sk.NUM_JOINTS, 3))
    lengths = sk.bone_lengths(pose)
    assert lengths.shape == (sk.NUM_JOINTS - 1,)
    assert np.isclose(lengths.sum(), sk.bone_lengths(sk.mirror(pose)).sum())
