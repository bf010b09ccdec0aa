"""A user's SMPL file: synthetic SMPL-format files (tests/smpl_files.py, never a real SMPL
file), read through the restricted unpickler, converted to a body model and fitted to joints."""

from __future__ import annotations

import os
import pickle
import sys

import numpy as np
import pytest
from conftest import DATA
from smpl_files import python2_pickle, synthetic_smpl, write_smpl_pkl

from lifting.bodies import load_body
from lifting.bodies.fit import fit_body, posed_vertices
from lifting.bodies.safe_pickle import safe_load
from lifting.bodies.smpl import (
    load_smpl,
    read_smpl_file,
)
from lifting.errors import FileFormatError, UnsafePickleError
from lifting.skeleton import JOINT_INDEX as J


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


def test_python2_pickles_with_latin1_strings():
    from lifting.bodies.safe_pickle import plain

    read = plain(safe_load(python2_pickle(np.array([1.0, 2.0, 3.5]))))
    assert np.array_equal(read["x"], [1.0, 2.0, 3.5]) and read["name"] == "caf\u00e9"


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
