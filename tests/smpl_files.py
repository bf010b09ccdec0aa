"""Synthetic SMPL-format model files for the tests (never a real SMPL file): the default body
written in SMPL's layout (Y up, 24 joints, a chumpy ``shapedirs`` and a sparse regressor)."""

from __future__ import annotations

import copyreg
import pickle
import sys
import types

import numpy as np
import scipy.sparse

from lifting.bodies import BONE_NAMES
from lifting.bodies.smpl import SMPL_JOINTS, SMPL_PARENTS, SMPL_TO_LIFT_AXES
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


def write_smpl_files(body, folder):
    """``(arrays, model.pkl, model.npz)`` of the synthetic SMPL model in ``folder``."""
    arrays = synthetic_smpl(body)
    write_smpl_pkl(arrays, folder / "model.pkl")
    np.savez(folder / "model.npz", **{k: np.asarray(v) for k, v in arrays.items()})
    return arrays, folder / "model.pkl", folder / "model.npz"


def python2_pickle(values: np.ndarray) -> bytes:
    """A pickle as Python 2's cPickle (protocol 2) writes ``{"x": array, "name": "café"}``:
    the array's bytes and the text are Python-2 ``str`` (SHORT_BINSTRING), readable in
    Python 3 only with ``encoding="latin1"``; numpy's old module path ``numpy.core``."""

    def sbs(b: bytes) -> bytes:
        return b"U" + bytes([len(b)]) + b

    data = np.asarray(values, dtype="<f8").tobytes()
    assert len(data) < 256
    return (
        b"\x80\x02}q\x00(" + sbs(b"x")
        + b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85"
        + sbs(b"b") + b"\x87Rq\x03"
        + b"(K\x01" + b"K" + bytes([len(values)]) + b"\x85cnumpy\ndtype\nq\x04" + sbs(b"f8")
        + b"K\x00K\x01\x87Rq\x05"
        + b"(K\x03" + sbs(b"<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
        + b"\x89" + sbs(data) + b"tb"
        + sbs(b"name") + sbs(b"caf\xe9")
        + b"u."
    )  # fmt: skip
