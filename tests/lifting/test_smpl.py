"""A user's SMPL file: synthetic SMPL-format files written here (never a real SMPL file),
read through the restricted unpickler, converted to a body model and fitted to joints."""

from __future__ import annotations

import copyreg
import os
import pickle
import sys
import types

import numpy as np
import pytest
import scipy.sparse
from conftest import DATA

from lifting.bodies import BONE_NAMES, load_body
from lifting.bodies.fit import fit_body, posed_vertices
from lifting.bodies.safe_pickle import safe_load
from lifting.bodies.smpl import (
    SMPL_JOINTS,
    SMPL_PARENTS,
    SMPL_TO_LIFT_AXES,
    load_smpl,
    read_smpl_file,
)
from lifting.errors import FileFormatError, UnsafePickleError
from lifting.skeleton import JOINT_INDEX as J

# Lift bone -> the SMPL joint the synthetic file gives its weights to (hands split in two)
_BONE_TO_SMPL = {
    "hips": "pelvis", "spine": "spine2", "neck": "neck", "head": "head",
    "shoulder.L": "l_collar", "upper_arm.L": "l_shoulder", "forearm.L": "l_elbow",
    "hand.L": "l_wrist", "thigh.L": "l_hip", "shin.L": "l_knee", "foot.L": "l_ankle",
    "shoulder.R": "r_collar", "upper_arm.R": "r_shoulder", "forearm.R": "r_elbow",
    "hand.R": "r_wrist", "thigh.R": "r_hip", "shin.R": "r_knee", "foot.R": "r_ankle",
}  # fmt: skip


class Ch:
    """Pickles like chumpy's ``Ch`` (module ``chumpy.ch``, state dict with ``x``)."""

    def __init__(self, x):
        self.x = x

    def __reduce_ex__(self, protocol):
        state = {"x": self.x, "_dirty_vars": set(), "_itr": None, "_make_dense": False}
        return copyreg._reconstructor, (Ch, object, None), state


def synthetic_smpl(body) -> dict:
    """SMPL-format arrays (SMPL axes: Y up, facing +Z) made from the default body."""
    verts = body.vertices.astype(np.float64) @ SMPL_TO_LIFT_AXES  # inverse of the conversion
    verts -= verts[np.argmin(verts[:, 1])] * [0, 1, 0] + body.joints[0] @ SMPL_TO_LIFT_AXES
    reg = body.lift_regressor.astype(np.float64)
    rows = {
        "pelvis": reg[J["pelvis"]],
        "spine1": 0.8 * reg[J["pelvis"]] + 0.2 * reg[J["thorax"]],
        "spine2": 0.5 * reg[J["pelvis"]] + 0.5 * reg[J["thorax"]],
        "spine3": 0.2 * reg[J["pelvis"]] + 0.8 * reg[J["thorax"]],
        "neck": reg[J["thorax"]],
        "head": reg[J["neck"]],
    }
    for s in ("l", "r"):
        for joint in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist", "hand"):
            rows[f"{s}_{joint}"] = reg[J[f"{s}_{joint}"]]
        rows[f"{s}_foot"] = reg[J[f"{s}_toe"]]
        rows[f"{s}_collar"] = 0.5 * (reg[J["thorax"]] + reg[J[f"{s}_shoulder"]])
    weights = np.zeros((len(verts), 24))
    dense = body.dense_weights()
    for b, bone in enumerate(BONE_NAMES):
        weights[:, SMPL_JOINTS.index(_BONE_TO_SMPL[bone])] += dense[:, b]
    for s in ("l", "r"):  # hand weights shared by wrist and hand joints, as SMPL has them
        wrist, hand = SMPL_JOINTS.index(f"{s}_wrist"), SMPL_JOINTS.index(f"{s}_hand")
        weights[:, hand] = 0.5 * weights[:, wrist]
        weights[:, wrist] *= 0.5
    rng = np.random.default_rng(0)
    return {
        "v_template": verts,
        "f": body.faces.astype(np.uint32),
        "weights": weights,
        "J_regressor": np.stack([rows[n] for n in SMPL_JOINTS]),
        "kintree_table": np.array([[4294967295, *SMPL_PARENTS[1:]], range(24)], dtype=np.int64),
        "shapedirs": rng.normal(0, 0.01, (len(verts), 3, 10)),
        "bs_style": "lbs",
        "bs_type": "lrotmin",
    }


def write_smpl_pkl(arrays: dict, path) -> None:
    """Write ``arrays`` as SMPL's .pkl does: protocol 2, chumpy ``shapedirs``, sparse regressor."""
    data = dict(arrays)
    data["shapedirs"] = Ch(arrays["shapedirs"])
    data["J_regressor"] = scipy.sparse.csc_matrix(arrays["J_regressor"])
    fake = types.ModuleType("chumpy.ch")
    fake.Ch = Ch
    saved = {k: sys.modules.get(k) for k in ("chumpy", "chumpy.ch")}
    Ch.__module__ = "chumpy.ch"
    sys.modules["chumpy"], sys.modules["chumpy.ch"] = types.ModuleType("chumpy"), fake
    try:
        path.write_bytes(pickle.dumps(data, protocol=2))
    finally:
        Ch.__module__ = __name__
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


@pytest.fixture(scope="module")
def body():
    return load_body()


@pytest.fixture(scope="module")
def smpl_files(body, tmp_path_factory):
    folder = tmp_path_factory.mktemp("smpl")
    arrays = synthetic_smpl(body)
    write_smpl_pkl(arrays, folder / "model.pkl")
    np.savez(folder / "model.npz", **{k: np.asarray(v) for k, v in arrays.items()})
    return arrays, folder / "model.pkl", folder / "model.npz"


def test_pkl_with_chumpy_and_sparse_arrays_reads_without_chumpy(smpl_files):
    arrays, pkl, _ = smpl_files
    assert b"chumpy.ch" in pkl.read_bytes() and b"csc_matrix" in pkl.read_bytes()
    read = read_smpl_file(pkl)
    assert "chumpy" not in sys.modules
    assert np.array_equal(read["shapedirs"], arrays["shapedirs"])
    assert np.allclose(read["J_regressor"], arrays["J_regressor"])
    assert np.array_equal(read["weights"], arrays["weights"])
    assert read["bs_style"] == "lbs"


def test_smpl_becomes_the_same_body(body, smpl_files):
    _, pkl, npz = smpl_files
    model = load_smpl(pkl)
    same = load_smpl(npz)
    assert np.allclose(model.vertices, same.vertices) and np.allclose(model.joints, same.joints)
    shift = model.vertices - body.vertices  # axes and floor exact; the origin is the pelvis
    assert np.ptp(shift, axis=0).max() < 1e-5  # as regressed, within the regressor's error
    assert np.abs(shift).max() < 3e-3
    assert np.allclose(model.dense_weights(), body.dense_weights(), atol=1e-5)
    err = np.linalg.norm(model.joints - body.joints, axis=-1)
    assert np.delete(err, J["head"]).max() < 0.01  # two regressors of the same joints
    assert err[J["head"]] < 0.03  # the skull top is read off the highest vertices
    shaped = load_smpl(pkl, betas=[2.0])
    moved = shaped.vertices - model.vertices
    assert 0.005 < np.abs(moved).mean() < 0.05


def test_fit_drives_an_smpl_body(smpl_files):
    with np.load(DATA / "sample" / "walk.npz") as data:
        walk = data["joints_world"].astype(np.float64)
    model = load_smpl(smpl_files[1], betas=[1.0, -0.5])
    fit = fit_body(model, walk)
    assert np.linalg.norm(fit.joints - walk, axis=-1).max() < 0.02
    verts = posed_vertices(model, fit, slice(None, None, 10))
    assert np.linalg.norm(model.regress(verts) - walk[::10], axis=-1).mean() < 0.015


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_pickle_is_refused_without_running_anything(tmp_path, smpl_files):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"v_template": _RunsCode(marker)}, protocol=2))
    with pytest.raises(UnsafePickleError, match="system"):
        load_smpl(evil)
    assert not marker.exists()
    # the same payload hidden among genuine SMPL arrays, and other classics
    arrays = dict(smpl_files[0])
    arrays["extra"] = _RunsCode(marker)
    with pytest.raises(UnsafePickleError):
        safe_load(pickle.dumps(arrays, protocol=2))
    for payload in (
        b"cbuiltins\neval\n(S'1+1'\ntR.",
        b"csubprocess\nPopen\n((S'true'\nltR.",
        b"cnumpy\nload\n(S'x.npy'\ntR.",
    ):
        with pytest.raises(UnsafePickleError):
            safe_load(payload)
    assert not marker.exists()
    # _reconstructor may only build the stand-ins, whatever class the pickle names
    sneaky = b"ccopy_reg\n_reconstructor\n(cbuiltins\nobject\ncbuiltins\nobject\nNtR."
    with pytest.raises(UnsafePickleError):
        safe_load(sneaky)


def test_bad_smpl_files_are_reported(tmp_path, smpl_files):
    arrays = smpl_files[0]
    np.savez(tmp_path / "objects.npz", v_template=np.array([{"a": 1}], dtype=object))
    with pytest.raises(UnsafePickleError, match="pickled objects"):
        load_smpl(tmp_path / "objects.npz")
    np.savez(tmp_path / "partial.npz", v_template=arrays["v_template"])
    with pytest.raises(FileFormatError, match="J_regressor"):
        load_smpl(tmp_path / "partial.npz")
    smplx = {k: np.asarray(v) for k, v in arrays.items()}
    smplx["kintree_table"] = np.zeros((2, 55), dtype=np.int64)
    np.savez(tmp_path / "smplx.npz", **smplx)
    with pytest.raises(FileFormatError, match="SMPL-X"):
        load_smpl(tmp_path / "smplx.npz")
    (tmp_path / "model.obj").write_text("v 0 0 0\n")
    with pytest.raises(FileFormatError, match=r"\.pkl or \.npz"):
        load_smpl(tmp_path / "model.obj")
    (tmp_path / "cut.pkl").write_bytes(pickle.dumps({"a": np.zeros(3)}, protocol=2)[:20])
    with pytest.raises(FileFormatError):
        load_smpl(tmp_path / "cut.pkl")
    with pytest.raises(FileFormatError, match="not found"):
        load_smpl(tmp_path / "missing.pkl")
