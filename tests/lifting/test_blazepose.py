"""BlazePose-33 → lift layout on a constructed pose (pixel coordinates, y down)."""

from __future__ import annotations

import numpy as np
import pytest

from lifting.keypoints.blazepose import mapping_matrices, to_lift
from lifting.skeleton import JOINT_INDEX, LIFT_JOINTS, mirror

# An upright person facing the camera, 2D pixels (x right, y down). The subject's left is
# image right. Landmarks not listed stay unused by the map.
POSE = {
    0: (300, 100),  # nose
    2: (310, 90),  # left eye
    5: (290, 90),  # right eye
    7: (320, 95),  # left ear
    8: (280, 95),  # right ear
    11: (340, 150),  # left shoulder
    12: (260, 150),  # right shoulder
    13: (350, 220),  # left elbow
    14: (250, 220),  # right elbow
    15: (355, 280),  # left wrist
    16: (245, 280),  # right wrist
    17: (362, 300),  # left pinky
    18: (238, 300),  # right pinky
    19: (354, 306),  # left index
    20: (246, 306),  # right index
    23: (320, 300),  # left hip
    24: (280, 300),  # right hip
    25: (322, 400),  # left knee
    26: (278, 400),  # right knee
    27: (324, 500),  # left ankle
    28: (276, 500),  # right ankle
    29: (326, 512),  # left heel
    30: (274, 512),  # right heel
    31: (322, 552),  # left foot index
    32: (278, 552),  # right foot index
}
# BlazePose's left/right pairs, for mirroring.
BLAZE_SWAP = [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19]
BLAZE_SWAP += [22, 21, 24, 23, 26, 25, 28, 27, 30, 29, 32, 31]


def constructed(visibility: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    xy = np.zeros((33, 2))
    for landmark, point in POSE.items():
        xy[landmark] = point
    return xy, np.full(33, visibility)


def test_constructed_pose_maps_to_the_documented_joints():
    xy, vis = constructed()
    lift = to_lift(xy, vis)
    assert lift.shape == (21, 3) and lift.dtype == np.float32
    got = {name: tuple(lift[JOINT_INDEX[name], :2]) for name in LIFT_JOINTS}
    expected = {
        "pelvis": (300, 300),
        "r_hip": (280, 300),
        "r_knee": (278, 400),
        "r_ankle": (276, 500),
        "l_hip": (320, 300),
        "l_knee": (322, 400),
        "l_ankle": (324, 500),
        "spine": (300, 225),  # between shoulder midpoint (300, 150) and pelvis
        # shoulders + (nose - shoulders) / 3 + 2/3 (nose - eyes) = (300, 150 - 50/3 + 20/3)
        "thorax": (300, 140),
        "neck": (300, 112.5),  # nose + (shoulders - nose) / 4
        # eye/ear centre (300, 92.5) + half its offset from the shoulders (0, -57.5)
        "head": (300, 63.75),
        "l_shoulder": (340, 150),
        "l_elbow": (350, 220),
        "l_wrist": (355, 280),
        "r_shoulder": (260, 150),
        "r_elbow": (250, 220),
        "r_wrist": (245, 280),
        "r_toe": (277, 542),  # heel + 0.75 (foot index - heel): the ball of the foot
        "l_toe": (323, 542),
        "l_hand": (358, 303),  # between index and pinky knuckles
        "r_hand": (242, 303),
    }
    for name, point in expected.items():
        np.testing.assert_allclose(got[name], point, atol=1e-3, err_msg=name)
    # the head sits above the neck, above the thorax, above the spine, above the pelvis
    ys = [got[n][1] for n in ("head", "neck", "thorax", "spine", "pelvis")]
    assert ys == sorted(ys)


def test_confidence_is_the_mean_visibility_of_the_landmarks_used():
    xy, vis = constructed()
    vis[23] = 0.2  # left hip hidden
    lift = to_lift(xy, vis)
    assert lift[JOINT_INDEX["l_hip"], 2] == pytest.approx(0.2)
    assert lift[JOINT_INDEX["pelvis"], 2] == pytest.approx((0.2 + 0.9) / 2)
    assert lift[JOINT_INDEX["spine"], 2] == pytest.approx((0.2 + 0.9 * 3) / 4)
    assert lift[JOINT_INDEX["r_hip"], 2] == pytest.approx(0.9)


def test_weights_are_affine_so_the_map_commutes_with_similarity_transforms():
    weights, confidence = mapping_matrices()
    np.testing.assert_allclose(weights.sum(1), 1.0)
    np.testing.assert_allclose(confidence.sum(1), 1.0)
    xy, vis = constructed()
    angle, scale, shift = 0.7, 1.8, np.array([-40.0, 25.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = to_lift(xy @ rot.T * scale + shift, vis)
    np.testing.assert_allclose(moved[:, :2], to_lift(xy, vis)[:, :2] @ rot.T * scale + shift)


def test_mirroring_the_landmarks_mirrors_the_lift_joints():
    xy, vis = constructed()
    vis = np.linspace(0.1, 1.0, 33)  # distinct per landmark so left/right errors show
    flipped = xy[BLAZE_SWAP] * [-1, 1]
    lhs = to_lift(flipped, vis[BLAZE_SWAP])
    rhs = mirror(to_lift(xy, vis), axis=0)
    np.testing.assert_allclose(lhs, rhs, atol=1e-4)


def test_batches_and_missing_frames():
    xy, vis = constructed()
    frames = np.stack([xy, np.full_like(xy, np.nan), xy + 5])
    visibility = np.stack([vis, np.zeros(33), vis])
    lift = to_lift(frames, visibility)  # (T, 33, 2)
    assert lift.shape == (3, 21, 3)
    assert np.isnan(lift[1, :, :2]).all() and (lift[1, :, 2] == 0).all()
    np.testing.assert_allclose(lift[2, :, :2], lift[0, :, :2] + 5, atol=1e-4)
    # a NaN in one landmark spoils only the joints built from it
    xy[31] = np.nan
    partial = to_lift(xy, vis)
    bad = {LIFT_JOINTS[j] for j in np.nonzero(np.isnan(partial[:, 0]))[0]}
    assert bad == {"l_toe"}


def test_shape_errors():
    with pytest.raises(ValueError):
        to_lift(np.zeros((17, 2)), np.zeros(17))
