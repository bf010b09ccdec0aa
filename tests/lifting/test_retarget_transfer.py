"""Retargeting real mocap onto rigs of other names, rest poses, rolls and sizes (no Blender).

The target rigs are built with the mocap subject's proportions (scaled, A-pose arms, odd
rolls, extra bones), so a correct retarget puts every mapped joint on the scaled source joint.
Poses are checked with the Blender engineer's independent forward kinematics, which follows
Blender's pose evaluation.
"""

import numpy as np
import pytest
import rigs

from lifting.errors import RigMappingError
from lifting.mocap.dataset import load_clip
from lifting.motion.contacts import detect_contacts
from lifting.retarget.bonemap import auto_map
from lifting.retarget.lift_rig import median_lengths, rest_joints
from lifting.retarget.rest import RestSkeleton
from lifting.retarget.solve import forward_kinematics
from lifting.retarget.transfer import LIMB_JOINTS, pivot_contacts, retarget
from lifting.skeleton import JOINT_INDEX as J

CLIP = "bandai/dataset-1_walk_normal_001.bvh.gz"
ENDS = ["l_wrist", "r_wrist", "l_hand", "r_hand", "l_ankle", "r_ankle", "l_toe", "r_toe"]


@pytest.fixture(scope="module")
def clip(mocap_dir):
    return load_clip(mocap_dir, CLIP, fps=30.0)


def target_points(joints, scale, arm_drop):
    rest = rest_joints(median_lengths(joints), ankle_height=0.08) * scale
    return rigs.rest_points(rest, arm_drop_deg=arm_drop)


def evaluate(rig, result):
    """Blender-style FK of ``rig`` posed by ``result``: bone heads (T, B, 3) by name."""
    order = rig.topological_order()
    pos = {old: new for new, old in enumerate(order)}
    rest = RestSkeleton(
        names=tuple(rig.names[i] for i in order),
        parents=[pos[rig.parents[i]] if rig.parents[i] >= 0 else -1 for i in order],
        heads=rig.heads[order],
        tails=rig.tails[order],
        matrices=rig.matrices[order],
        head_joint=np.zeros(len(order), int),
        tail_joint=np.zeros(len(order), int),
    )
    t = len(result.rotations)
    rot = np.zeros((t, len(order), 4))
    rot[..., 0] = 1.0
    loc = np.zeros((t, len(order), 3))
    for k, name in enumerate(result.bones):
        rot[:, rest.index(name)] = result.rotations[:, k]
    if result.location_bone:
        loc[:, rest.index(result.location_bone)] = result.locations
    heads, tails, _ = forward_kinematics(rest, rot, loc)
    m3, origin = rig.object_matrix[:3, :3], rig.object_matrix[:3, 3]
    if result.object_locations is not None:
        origin = result.object_locations[:, None]
    heads, tails = heads @ m3.T + origin, tails @ m3.T + origin  # world
    return {n: heads[:, i] for i, n in enumerate(rest.names)}, {
        n: tails[:, i] for i, n in enumerate(rest.names)
    }


def mapped_joints(bonemap, heads, tails):
    b = bonemap.bones
    out = {
        "pelvis": 0.5 * (heads[b["thigh.L"]] + heads[b["thigh.R"]]),
        "neck": heads[b["head"]],
        "head": tails[b["head"]],
    }
    for side in "lr":
        s = side.upper()
        for joint, role in LIMB_JOINTS:
            out[f"{side}_{joint}"] = heads[b[f"{role}.{s}"]]
        out[f"{side}_hand"] = tails[b[f"hand.{s}"]]
    return out


@pytest.mark.parametrize(
    "style, scale, arm_drop, root_motion",
    [
        ("mixamo", 1.0, 0.0, "hips"),
        ("unreal", 1.3, 45.0, "root"),
        ("metarig", 0.8, 30.0, "hips"),
        ("custom", 1.1, 10.0, "object"),
        ("daz", 0.95, 20.0, "hips"),
    ],
)
def test_mapped_joints_follow_the_scaled_source(clip, style, scale, arm_drop, root_motion):
    joints = clip.joints[:240].astype(np.float64)
    rig = rigs.description(rigs.STYLES[style], target_points(joints, scale, arm_drop), style)
    bonemap = auto_map(rig)
    contacts = detect_contacts(joints, clip.fps)[1]
    result = retarget(joints, rig, bonemap, fps=clip.fps, contacts=contacts,
                      root_motion=root_motion)  # fmt: skip
    assert result.scale == pytest.approx(scale, rel=0.02)
    heads, tails = evaluate(rig, result)
    got = mapped_joints(bonemap, heads, tails)
    want = joints * result.scale + rig.object_matrix[:3, 3]
    for joint, pos in got.items():
        err = np.linalg.norm(pos - want[:, J[joint]], axis=-1).mean() / result.scale
        limit = 0.03 if joint in ENDS else 0.02
        assert err < limit, (joint, err)
    # the module's own prediction agrees with the independent FK
    for joint, pos in got.items():
        assert np.allclose(pos, result.joints[:, J[joint]], atol=1e-6), joint
    # feet hold still while in contact: the heel while it is down, else the toe
    pivots = pivot_contacts(want, contacts, result.scale)
    slides = []
    for k, joint in enumerate(["l_ankle", "l_toe", "r_ankle", "r_toe"]):
        both = pivots[1:, k] & pivots[:-1, k]
        step = np.linalg.norm(np.diff(got_feet(got, heads, tails, bonemap, joint), axis=0), axis=-1)
        slides.append(step[both] / result.scale)
    slides = np.concatenate(slides)
    assert len(slides) > 20 and slides.mean() < 0.005, slides.mean()


def got_feet(got, heads, tails, bonemap, joint):
    """Horizontal track (T, 2) of an ankle or toe of the posed target."""
    if joint.endswith("ankle"):
        return got[joint][:, :2]
    side = joint[0].upper()
    toe = bonemap.bones.get(f"toe.{side}")
    return heads[toe][:, :2] if toe else tails[bonemap.bones[f"foot.{side}"]][:, :2]


def test_fbx_style_armature_y_up_in_centimetres(clip):
    """An FBX import: armature space Y up in centimetres, object rotated 90° about X and scaled
    0.01. The motion must stand up in the world at the right size, feet planted."""
    joints = clip.joints[:150].astype(np.float64)
    rot_x = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    matrix = np.eye(4)
    matrix[:3, :3] = rot_x * 0.01
    matrix[:3, 3] = (0.5, -1.0, 0.0)
    world_points = target_points(joints, 1.0, 30.0)
    inv = np.linalg.inv(matrix)
    points = {k: inv[:3, :3] @ v + inv[:3, 3] for k, v in world_points.items()}
    rig = rigs.description(rigs.MIXAMO, points, "FBX", object_matrix=matrix)
    assert rig.heads[rig.index("mixamorig:Head"), 1] > 100  # centimetres, Y up
    bonemap = auto_map(rig)
    contacts = detect_contacts(joints, clip.fps)[1]
    result = retarget(joints, rig, bonemap, fps=clip.fps, contacts=contacts)
    assert result.scale == pytest.approx(1.0, rel=0.02)
    heads, tails = evaluate(rig, result)
    got = mapped_joints(bonemap, heads, tails)
    want = joints * result.scale + matrix[:3, 3]
    for joint, pos in got.items():
        err = np.linalg.norm(pos - want[:, J[joint]], axis=-1).mean()
        assert err < (0.03 if joint in ENDS else 0.02), (joint, err)
    pivots = pivot_contacts(joints, contacts)
    both = pivots[1:, 0] & pivots[:-1, 0]
    slide = np.linalg.norm(np.diff(got["l_ankle"][:, :2], axis=0), axis=-1)[both]
    assert both.sum() > 5 and slide.mean() < 0.005


def test_rest_pose_motion_gives_identity_rotations(clip):
    rest = rest_joints(median_lengths(clip.joints), ankle_height=0.08)
    for style in ("mixamo", "unreal", "custom"):
        points = rigs.rest_points(rest, arm_drop_deg=0.0)
        rig = rigs.description(rigs.STYLES[style], points, style)
        result = retarget(rest[None], rig, auto_map(rig), foot_lock=False)
        assert result.scale == pytest.approx(1.0)
        assert np.allclose(np.abs(result.rotations[..., 0]), 1.0, atol=1e-6), style
        assert np.allclose(result.locations, 0.0, atol=1e-9)


def test_a_pose_target_gets_its_arms_raised_for_a_t_pose_motion(clip):
    rest = rest_joints(median_lengths(clip.joints), ankle_height=0.08)
    rig = rigs.description(rigs.MIXAMO, rigs.rest_points(rest, arm_drop_deg=45.0), "A")
    result = retarget(rest[None], rig, auto_map(rig), foot_lock=False)
    heads, tails = evaluate(rig, result)
    got = mapped_joints(auto_map(rig), heads, tails)
    for joint in ("l_elbow", "r_wrist", "l_hand"):
        assert np.allclose(got[joint][0], rest[J[joint]], atol=1e-6)


def test_root_motion_to_a_missing_root_bone_is_an_error(clip):
    rig = rigs.description(rigs.MIXAMO, target_points(clip.joints, 1.0, 0.0), "NoRoot")
    with pytest.raises(RigMappingError, match="root bone"):
        retarget(clip.joints[:10], rig, auto_map(rig), root_motion="root", foot_lock=False)
