"""Bandai and CMU skeletons mapped to the lift layout: units, axes, sides, floor."""

import numpy as np
import pytest

from lifting import skeleton as sk
from lifting.errors import BVHParseError
from lifting.mocap.bvh import load_bvh, parse_bvh
from lifting.mocap.skeletons import detect_source, has_rest_first_frame, to_lift

J = sk.JOINT_INDEX
FILES = [
    ("bandai/dataset-1_walk_normal_001.bvh.gz", "bandai"),
    ("bandai/dataset-2_walk_elderly_001.bvh.gz", "bandai"),
    ("cmu/007_02.bvh.gz", "cmu"),
    ("cmu/002_01.bvh.gz", "cmu"),  # RL_BoneRoot header variant
]


@pytest.fixture(scope="module", params=FILES, ids=[f for f, _ in FILES])
def mapped(request, mocap_dir):
    name, source = request.param
    bvh = load_bvh(mocap_dir / name)
    return bvh, source, to_lift(bvh)


def facing(joints):
    """Horizontal forward direction per frame from the feet (ankle → toe)."""
    fwd = (joints[:, [J["l_toe"], J["r_toe"]]] - joints[:, [J["l_ankle"], J["r_ankle"]]]).mean(1)
    fwd[:, 2] = 0
    return fwd / np.linalg.norm(fwd, axis=1, keepdims=True)


def test_source_detected_and_shape(mapped):
    bvh, source, joints = mapped
    assert detect_source(bvh) == source
    assert joints.shape == (bvh.num_frames, sk.NUM_JOINTS, 3)
    assert joints.dtype == np.float32 and np.isfinite(joints).all()


def test_bone_lengths_are_human_and_constant(mapped):
    _, _, joints = mapped
    bones = sk.bone_lengths(joints)
    names = {sk.LIFT_JOINTS[c]: i for i, (c, _) in enumerate(sk.BONES)}
    thigh, shin = bones[:, names["l_knee"]], bones[:, names["l_ankle"]]
    upper, fore = bones[:, names["l_elbow"]], bones[:, names["l_wrist"]]
    for length, low, high in [(thigh, 0.33, 0.52), (shin, 0.33, 0.52), (upper, 0.2, 0.36)]:
        assert low < length.mean() < high
    assert 0.18 < fore.mean() < 0.32
    assert bones.std(axis=0).max() < 0.01  # rigid skeleton: no length changes over time
    # left and right limbs match
    left = bones[:, [names[n] for n in ("l_knee", "l_ankle", "l_elbow", "l_wrist")]]
    right = bones[:, [names[n] for n in ("r_knee", "r_ankle", "r_elbow", "r_wrist")]]
    np.testing.assert_allclose(left.mean(0), right.mean(0), atol=0.01)


def test_z_up_head_above_pelvis_and_feet_on_floor(mapped):
    _, _, joints = mapped
    z = joints[..., 2]
    assert (z[:, J["head"]] > z[:, J["neck"]]).mean() > 0.95
    assert (z[:, J["neck"]] > z[:, J["thorax"]]).mean() > 0.95
    assert (z[:, J["thorax"]] > z[:, J["pelvis"]] + 0.3).all()
    assert 0.8 < np.median(z[:, J["pelvis"]]) < 1.15
    lowest_toe = z[:, [J["l_toe"], J["r_toe"]]].min(axis=1)
    assert abs(np.percentile(lowest_toe, 5) - 0.035) < 0.01
    assert lowest_toe.min() > -0.05


def test_left_is_the_subjects_left(mapped):
    _, _, joints = mapped
    up = np.array([0.0, 0.0, 1.0])
    left_dir = np.cross(up, facing(joints))  # right-handed: left = up × forward
    for lname, rname in [("l_hip", "r_hip"), ("l_shoulder", "r_shoulder")]:
        side = np.einsum("ti,ti->t", joints[:, J[lname]] - joints[:, J[rname]], left_dir)
        assert (side > 0).mean() > 0.95


def test_walking_moves_forward(mapped):
    bvh, _, joints = mapped
    travel = joints[-1, J["pelvis"], :2] - joints[0, J["pelvis"], :2]
    if "walk" in bvh.path or "007_" in bvh.path or "002_01" in bvh.path:
        assert np.linalg.norm(travel) > 1.0
        assert np.dot(travel, facing(joints).mean(0)[:2]) > 0


def test_cmu_rest_first_frame_is_dropped(mocap_dir):
    assert has_rest_first_frame("cmu/007_03.bvh.gz") and has_rest_first_frame("007_12.bvh")
    assert not has_rest_first_frame("cmu/007_02.bvh.gz")
    assert not has_rest_first_frame("cmu/005_03.bvh.gz")
    bvh = load_bvh(mocap_dir / "cmu/007_03.bvh.gz")
    joints = to_lift(bvh)
    assert len(joints) == bvh.num_frames - 1
    step = np.linalg.norm(np.diff(joints[:, J["pelvis"]], axis=0), axis=1)
    assert step.max() < 0.1  # no jump from a rest pose: < 10 cm per 1/60 s
    kept = to_lift(bvh, drop_first=False)
    assert np.linalg.norm(kept[1, 0] - kept[0, 0]) > 0.5


def test_unknown_skeleton_is_refused():
    text = """HIERARCHY
ROOT Pelvis
{
  OFFSET 0 0 0
  CHANNELS 3 Xposition Yposition Zposition
  End Site
  {
    OFFSET 0 100 0
  }
}
MOTION
Frames: 1
Frame Time: 0.04
0 0 0
"""
    with pytest.raises(BVHParseError, match="unknown skeleton"):
        to_lift(parse_bvh(text, "x.bvh"))
