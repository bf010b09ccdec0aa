"""Body models: the bundled default body, skinning, conforming and the IK fit to lifted joints."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA

from lifting.bodies import BONE_NAMES, DEFAULT_BODY, conform, load_body, save_body, skin
from lifting.bodies.fit import fit_body, pose_own, posed_vertices
from lifting.errors import FileFormatError
from lifting.retarget.rotations import axis_angle_matrix
from lifting.skeleton import JOINT_INDEX as J


@pytest.fixture(scope="module")
def body():
    return load_body()


@pytest.fixture(scope="module")
def walk():
    with np.load(DATA / "sample" / "walk.npz") as data:
        return data["joints_world"].astype(np.float64)


def test_default_body_file(body):
    assert DEFAULT_BODY.stat().st_size <= 10e6
    assert body.vertices.shape == (13718, 3) and body.faces.shape == (27420, 3)
    assert body.skin_weights.shape == body.skin_indices.shape
    assert np.allclose(body.skin_weights.sum(axis=1), 1.0, atol=1e-5)
    assert body.skin_indices.min() >= 0 and body.skin_indices.max() < len(BONE_NAMES)
    assert abs(body.vertices[:, 2].min()) < 1e-5  # soles on the floor
    assert 1.6 < body.joints[J["head"], 2] < 2.0  # an adult, Z up
    assert body.joints[J["l_shoulder"], 0] > 0 > body.joints[J["r_shoulder"], 0]  # left on +X
    rest_error = np.linalg.norm(body.regress(body.vertices) - body.joints, axis=-1)
    assert rest_error.max() < 5e-3


def test_body_round_trip_and_bad_files(body, tmp_path):
    save_body(body, tmp_path / "b.npz")
    again = load_body(tmp_path / "b.npz")
    assert np.array_equal(again.vertices, body.vertices)
    assert np.array_equal(again.skin_indices, body.skin_indices)
    np.savez(tmp_path / "other.npz", format_version=1, vertices=body.vertices)
    with pytest.raises(FileFormatError, match="make_body_model"):
        load_body(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FileFormatError):
        load_body(tmp_path / "junk.npz")


def test_skin_rest_is_identity_and_rigid_motion_is_rigid(body):
    rest = body.rest_skeleton()
    same = skin(body, rest, rest.heads[None], rest.matrices[None])[0]
    assert np.abs(same - body.vertices).max() < 1e-5
    turn = axis_angle_matrix(np.array([0.3, -0.2, 0.9]), np.array(1.1))
    shift = np.array([0.5, -1.0, 0.2])
    moved = skin(body, rest, (rest.heads @ turn.T + shift)[None], (turn @ rest.matrices)[None])[0]
    assert np.abs(moved - (body.vertices @ turn.T + shift)).max() < 1e-5


def test_conform_takes_the_skeletons_proportions(body):
    rest = body.rest_skeleton()
    assert np.abs(conform(body, rest) - body.vertices).max() < 1e-5
    bigger = body.rest_skeleton()
    bigger.heads, bigger.tails = 1.2 * bigger.heads, 1.2 * bigger.tails
    verts = conform(body, bigger)
    joints = body.regress(verts)
    assert np.linalg.norm(joints - 1.2 * body.joints, axis=-1).max() < 0.02


def _errors(fit, joints, model):
    fk = np.linalg.norm(fit.joints - joints, axis=-1)
    verts = posed_vertices(model, fit, slice(None, None, 5))
    mesh = np.linalg.norm(model.regress(verts) - joints[::5], axis=-1)
    return fk, mesh


def test_fit_follows_ground_truth_joints_of_the_sample_walk(body, walk):
    fit = fit_body(body, walk)
    fk, mesh = _errors(fit, walk, body)
    assert fk.max() < 0.02  # the IK fit: every joint within 2 cm in every frame
    assert mesh.mean() < 0.01  # joints read off the skinned mesh
    dots = np.sum(fit.rotations[1:] * fit.rotations[:-1], axis=-1)
    assert dots.min() > 0.9  # continuous quaternions, no flips between frames
    # the body's own proportions cannot reach the clip's joints: the clip's are needed
    own = fit_body(body, walk, proportions="body")
    assert np.linalg.norm(own.joints - walk, axis=-1).mean() > 5 * fk.mean()


def test_fit_on_validation_mocap(body, mocap_dir):
    from lifting.mocap.dataset import load_split

    clips = load_split("val", mocap_dir=mocap_dir)
    rng = np.random.default_rng(1)
    for c in rng.choice(len(clips), size=3, replace=False):
        joints = clips[c].joints[:300].astype(np.float64)
        fit = fit_body(body, joints)
        fk, mesh = _errors(fit, joints, body)
        assert fk.max() < 0.02, clips[c].name
        assert mesh.mean() < 0.015, clips[c].name


def test_fit_fills_gaps_and_pose_own_keeps_bone_lengths(body, walk):
    joints = walk[:40].copy()
    joints[10:15, J["l_wrist"]] = np.nan
    fit = fit_body(body, joints)
    assert np.isfinite(fit.rotations).all() and np.isfinite(fit.joints).all()
    verts, own = pose_own(body, walk[:20])
    assert verts.shape == (20, len(body.vertices), 3)
    rest_len = np.linalg.norm(body.joints[J["l_knee"]] - body.joints[J["l_hip"]])
    lengths = np.linalg.norm(own[:, J["l_knee"]] - own[:, J["l_hip"]], axis=-1)
    assert np.allclose(lengths, rest_len, atol=1e-4)
