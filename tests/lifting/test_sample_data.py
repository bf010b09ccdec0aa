"""The committed sample clip (tests/data/sample/) and its ground truth agree with each other.

Made by tools/make_sample.py (see tests/data/README.md). These checks read the files only; the
last one also re-derives the ground truth from shared/mocap through lifting.mocap.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from lifting.skeleton import JOINT_INDEX, LIFT_JOINTS, bone_lengths

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
NPZ = SAMPLE / "walk.npz"
ARRAYS_3D = ("joints_world", "joints_camera")


@pytest.fixture(scope="module")
def gt():
    with np.load(NPZ) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def frames(gt):
    cap = cv2.VideoCapture(str(SAMPLE / str(gt["video"])))
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(bgr)
    cap.release()
    return out


def test_files_are_small():
    total = sum(p.stat().st_size for p in SAMPLE.iterdir())
    assert total <= 3 * 1024 * 1024, f"tests/data/sample is {total / 1e6:.2f} MB (limit 3 MB)"


def test_format(gt):
    assert int(gt["format_version"]) == 1
    t = len(gt["frame_indices"])
    assert t >= 120
    for key in ARRAYS_3D:
        assert gt[key].shape == (t, len(LIFT_JOINTS), 3) and gt[key].dtype == np.float32
        assert np.isfinite(gt[key]).all()
    assert gt["joints_2d"].shape == (t, len(LIFT_JOINTS), 2)
    assert tuple(gt["joint_names"]) == LIFT_JOINTS
    assert gt["K"].shape == gt["R"].shape == gt["camera_rotation"].shape == (3, 3)
    assert gt["t"].shape == gt["camera_location"].shape == (3,)
    assert int(gt["bvh_frame_end"]) > int(gt["bvh_frame_start"]) >= 0
    assert str(gt["source_bvh"]).endswith((".bvh", ".bvh.gz"))


def test_video_matches_metadata(gt, frames):
    assert len(frames) == len(gt["frame_indices"])
    assert frames[0].shape == (int(gt["height"]), int(gt["width"]), 3)
    assert int(gt["width"]) <= 640 and int(gt["height"]) <= 480
    cap = cv2.VideoCapture(str(SAMPLE / str(gt["video"])))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(float(gt["fps"]), abs=0.01)


def test_camera_is_consistent(gt):
    rot, t, k = gt["R"].astype(np.float64), gt["t"].astype(np.float64), gt["K"]
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-5)
    assert np.linalg.det(rot) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(gt["camera_rotation"], rot.T, atol=1e-6)
    np.testing.assert_allclose(gt["camera_location"], -rot.T @ t, atol=1e-4)
    f, c = float(gt["focal_px"]), gt["center"]
    np.testing.assert_allclose(k, [[f, 0, c[0]], [0, f, c[1]], [0, 0, 1]], rtol=1e-6)
    np.testing.assert_allclose(c, [int(gt["width"]) / 2, int(gt["height"]) / 2])


def test_camera_frame_is_world_through_extrinsics(gt):
    world = gt["joints_world"].astype(np.float64)
    cam = world @ gt["R"].astype(np.float64).T + gt["t"]
    np.testing.assert_allclose(cam, gt["joints_camera"], atol=1e-4)
    assert (gt["joints_camera"][..., 2] > 1.0).all(), "every joint in front of the camera"


def test_2d_is_projection_of_camera_frame(gt):
    cam = gt["joints_camera"].astype(np.float64)
    uvw = cam @ gt["K"].astype(np.float64).T
    np.testing.assert_allclose(uvw[..., :2] / uvw[..., 2:], gt["joints_2d"], atol=0.01)
    xy = gt["joints_2d"]
    assert (xy[..., 0] > 0).all() and (xy[..., 0] < int(gt["width"])).all()
    assert (xy[..., 1] > 0).all() and (xy[..., 1] < int(gt["height"])).all()


def test_world_is_z_up_on_the_floor(gt):
    j = gt["joints_world"]
    z = j[..., 2]
    assert (z[:, JOINT_INDEX["head"]] > z[:, JOINT_INDEX["pelvis"]] + 0.4).all()
    assert (z[:, JOINT_INDEX["pelvis"]] > z[:, JOINT_INDEX["l_ankle"]] + 0.4).all()
    toes = z[:, [JOINT_INDEX["l_toe"], JOINT_INDEX["r_toe"]]].min(axis=1)
    assert -0.03 < toes.min() < 0.1, "feet reach the floor (Z = 0)"
    # camera frame y points down: the head is above (smaller y than) the pelvis
    cam = gt["joints_camera"]
    assert (cam[:, JOINT_INDEX["head"], 1] < cam[:, JOINT_INDEX["pelvis"], 1]).all()


def test_mocap_bones_are_rigid_and_the_root_travels(gt):
    lengths = bone_lengths(gt["joints_world"])
    assert lengths.std(axis=0).max() < 0.002
    root = gt["joints_world"][:, 0, :2]
    assert np.linalg.norm(root[-1] - root[0]) > 1.5, "a clip with clear root travel"


def test_body_is_where_the_2d_says(gt, frames):
    """Rendered body vs ground truth: joints fall on the foreground (frame minus the clip's
    median background)."""
    stack = np.stack(frames[::5]).astype(np.int16)
    background = np.median(stack, axis=0)
    hits, total = 0, 0
    kernel = np.ones((7, 7), np.uint8)
    for i in range(0, len(frames), 10):
        diff = np.abs(frames[i].astype(np.int16) - background).max(axis=2)
        mask = cv2.dilate((diff > 25).astype(np.uint8), kernel)
        xy = np.floor(gt["joints_2d"][i]).astype(int)
        hits += int(mask[xy[:, 1], xy[:, 0]].sum())
        total += len(xy)
    assert hits / total > 0.99, f"only {hits}/{total} ground-truth joints on the rendered body"
    # and another frame does not fit (a one-frame offset already drops below 0.97)
    far = len(frames) // 2
    diff = np.abs(frames[0].astype(np.int16) - background).max(axis=2)
    mask = cv2.dilate((diff > 25).astype(np.uint8), kernel)
    xy = np.floor(gt["joints_2d"][far]).astype(int)
    assert mask[xy[:, 1], xy[:, 0]].mean() < 0.5


def test_ground_truth_is_the_projects_mocap_mapping(gt, mocap_dir):
    from lifting.mocap.bvh import load_bvh
    from lifting.mocap.skeletons import to_lift

    rel = str(gt["source_bvh"])
    splits = json.loads((mocap_dir / "splits.json").read_text())
    assert rel in splits[str(gt["source_split"])]
    joints = to_lift(load_bvh(mocap_dir / rel))[gt["frame_indices"]]
    joints[..., 2] += float(gt["floor_shift"])
    np.testing.assert_allclose(joints, gt["joints_world"], atol=1e-4)


def test_the_projects_camera_functions_reproduce_the_2d(gt):
    from lifting.camera import project, world_to_camera

    cam = world_to_camera(gt["joints_world"].astype(np.float64), gt["R"], gt["t"])
    np.testing.assert_allclose(cam, gt["joints_camera"], atol=1e-4)
    xy = project(cam, float(gt["focal_px"]), gt["center"])
    np.testing.assert_allclose(xy, gt["joints_2d"], atol=0.01)


# --- tools/body_rig.py, the skinning that put the rendered body on the ground-truth joints ---


@pytest.fixture(scope="module")
def body_rig():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "tools" / "body_rig.py"
    spec = importlib.util.spec_from_file_location("body_rig", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_body():
    """A made-up body: anny-named bones of a standing figure (Z up, facing -Y), 40 vertices
    near them, each skinned to one or two bones."""
    heads = {"root": (0, 0, 1.0), "spine04": (0, 0, 1.1), "spine01": (0, 0, 1.3)}
    heads |= {"neck01": (0, 0, 1.45), "head": (0, 0, 1.55), "eye.L": (0.03, -0.1, 1.62)}
    for side, x in (("L", 1), ("R", -1)):
        heads |= {
            f"upperleg01.{side}": (0.1 * x, 0, 0.95), f"lowerleg01.{side}": (0.11 * x, 0, 0.5),
            f"foot.{side}": (0.12 * x, 0, 0.08), f"toe3-1.{side}": (0.13 * x, -0.14, 0.02),
            f"upperarm01.{side}": (0.18 * x, 0, 1.4), f"lowerarm01.{side}": (0.35 * x, 0, 1.2),
            f"wrist.{side}": (0.5 * x, -0.05, 1.0), f"finger3-1.{side}": (0.56 * x, -0.08, 0.93),
        }  # fmt: skip
    names = list(heads)
    rng = np.random.default_rng(0)
    bone = rng.integers(0, len(names), 40)
    other = rng.integers(0, len(names), 40)
    pos = np.array([heads[n] for n in names])
    verts = pos[bone] + rng.normal(0, 0.03, (40, 3))
    bone[0], verts[0] = names.index("head"), (0, -0.02, 1.75)  # the top of the head
    w = rng.uniform(0.6, 1.0, 40)
    return {
        "bone_names": np.array(names),
        "bone_heads": pos,
        "vertices": verts,
        "vertex_bone_indices": np.stack([bone, other], axis=1),
        "vertex_bone_weights": np.stack([w, 1 - w], axis=1),
    }


def test_skinning_at_rest_returns_the_rest_body(body_rig):
    body = small_body()
    rest = body_rig.body_rest_joints(body)
    out = body_rig.skin(body, rest, rest[None].repeat(2, axis=0))
    np.testing.assert_allclose(out, np.broadcast_to(body["vertices"], out.shape), atol=1e-5)


def test_skinning_follows_a_rigid_motion_of_the_joints(body_rig):
    body = small_body()
    rest = body_rig.body_rest_joints(body)
    a = np.radians(70)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    shift = np.array([1.5, -2.0, 0.1])
    out = body_rig.skin(body, rest, (rest @ rot.T + shift)[None])
    np.testing.assert_allclose(out[0], body["vertices"] @ rot.T + shift, atol=1e-5)


def test_skinned_limbs_stretch_onto_the_target_joints(body_rig):
    body = small_body()
    rest = body_rig.body_rest_joints(body)
    target = rest.copy()
    for s in "lr":  # longer shins: everything from the ankles down moves 5 cm lower
        target[[JOINT_INDEX[f"{s}_ankle"], JOINT_INDEX[f"{s}_toe"]], 2] -= 0.05
    # a vertex at the ankle skinned to the shin alone lands on the new ankle only if the shin
    # segment stretches
    body["vertices"] = np.vstack([body["vertices"], rest[[JOINT_INDEX["l_ankle"]]]])
    shin_bone = list(body["bone_names"]).index("lowerleg01.L")
    body["vertex_bone_indices"] = np.vstack([body["vertex_bone_indices"], [shin_bone, 0]])
    body["vertex_bone_weights"] = np.vstack([body["vertex_bone_weights"], [1.0, 0.0]])
    out = body_rig.skin(body, rest, target[None])
    np.testing.assert_allclose(out[0, -1], target[JOINT_INDEX["l_ankle"]], atol=1e-5)
