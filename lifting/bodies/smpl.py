"""A user's own SMPL model file (``.pkl`` or ``.npz``) as a :class:`BodyModel`.

SMPL files cannot be shipped (their licence); users bring their own. ``.pkl`` files are read
with the restricted unpickler (:mod:`.safe_pickle`), ``.npz`` without pickles. Needed keys:
``v_template (V,3)``, ``f (F,3)``, ``weights (V,24)``, ``J_regressor (24,V)`` (dense or
sparse), ``kintree_table (2,24)``; ``shapedirs (V,3,S)`` is used when ``betas`` are given.
Pose-dependent correctives (``posedirs``) are not used: Blender's Armature modifier cannot
apply them.

Conversion: SMPL's frame (Y up, facing +Z, metres) becomes Lift's (Z up, facing -Y), soles
on Z = 0, pelvis over the origin; SMPL's 24 joint weights are summed onto the 18 Lift bones
(SMPL_TO_LIFT_BONE) and kept as the 4 largest; the lift joints are SMPL joints (pelvis = mid
hips, thorax = SMPL's neck joint, neck = its head joint, toes = its foot joints, hands = its
hand joints, head = the top of the skull), with a matching vertex regressor.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, UnsafePickleError
from ..skeleton import JOINT_INDEX as J
from ..skeleton import NUM_JOINTS
from .model import BONE_NAMES, BodyModel
from .safe_pickle import plain, safe_load

SMPL_JOINTS: tuple[str, ...] = (
    "pelvis", "l_hip", "r_hip", "spine1", "l_knee", "r_knee", "spine2", "l_ankle", "r_ankle",
    "spine3", "l_foot", "r_foot", "neck", "l_collar", "r_collar", "head", "l_shoulder",
    "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_hand", "r_hand",
)  # fmt: skip
SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)
# SMPL joint (whose rotation moves the weighted vertices) -> Lift armature bone
SMPL_TO_LIFT_BONE = {
    "pelvis": "hips", "spine1": "hips", "spine2": "spine", "spine3": "spine", "neck": "neck",
    "head": "head", "l_hip": "thigh.L", "r_hip": "thigh.R", "l_knee": "shin.L",
    "r_knee": "shin.R", "l_ankle": "foot.L", "r_ankle": "foot.R", "l_foot": "foot.L",
    "r_foot": "foot.R", "l_collar": "shoulder.L", "r_collar": "shoulder.R",
    "l_shoulder": "upper_arm.L", "r_shoulder": "upper_arm.R", "l_elbow": "forearm.L",
    "r_elbow": "forearm.R", "l_wrist": "hand.L", "r_wrist": "hand.R", "l_hand": "hand.L",
    "r_hand": "hand.R",
}  # fmt: skip
# lift joint -> SMPL joint it is (the rest are derived)
LIFT_FROM_SMPL = {
    "r_hip": "r_hip", "r_knee": "r_knee", "r_ankle": "r_ankle", "l_hip": "l_hip",
    "l_knee": "l_knee", "l_ankle": "l_ankle", "thorax": "neck", "neck": "head",
    "l_shoulder": "l_shoulder", "l_elbow": "l_elbow", "l_wrist": "l_wrist",
    "r_shoulder": "r_shoulder", "r_elbow": "r_elbow", "r_wrist": "r_wrist", "r_toe": "r_foot",
    "l_toe": "l_foot", "l_hand": "l_hand", "r_hand": "r_hand",
}  # fmt: skip
SPINE_FRACTION = 0.45  # spine joint along pelvis → thorax, as on the default body
HEAD_TOP_VERTICES = 12
REQUIRED = ("v_template", "f", "weights", "J_regressor", "kintree_table")
# SMPL (x, y, z) Y up facing +Z  ->  Lift (x, -z, y) Z up facing -Y
SMPL_TO_LIFT_AXES = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def read_smpl_file(path) -> dict:
    """The arrays of an SMPL ``.pkl`` or ``.npz`` file (plain NumPy; nothing executed).

    Raises UnsafePickleError for a pickle that asks for anything but arrays, FileFormatError
    for a missing or unreadable file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"SMPL file {path} not found; choose the model's .pkl or .npz.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except ValueError as err:
            raise UnsafePickleError(
                f"{path.name} holds pickled objects, which Lift does not load; save it with "
                "plain arrays (numpy.savez) or use the .pkl model from the SMPL website."
            ) from err
        except (OSError, zipfile.BadZipFile) as err:
            raise FileFormatError(f"{path.name} is not a readable .npz file ({err}).") from err
    if suffix == ".pkl":
        try:
            loaded = safe_load(path.read_bytes())
        except UnsafePickleError:
            raise
        except Exception as err:  # a truncated or garbled pickle
            raise FileFormatError(f"{path.name} is not a readable pickle ({err}).") from err
        if not isinstance(loaded, dict):
            raise FileFormatError(f"{path.name} does not hold an SMPL model (a dict of arrays).")
        return plain(loaded)
    raise FileFormatError(f"{path.name}: choose an SMPL model file ending in .pkl or .npz.")


def load_smpl(path, betas=None) -> BodyModel:
    """A :class:`BodyModel` from a user's SMPL file; ``betas (S,)`` shape the body (optional)."""
    arrays = read_smpl_file(path)
    return smpl_to_body(arrays, betas=betas, name=Path(path).stem)


def _check(arrays: dict) -> None:
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise FileFormatError(f"Not an SMPL model: the file has no {', '.join(missing)}.")
    parents = np.asarray(arrays["kintree_table"])[0].astype(np.int64)
    parents = np.where(parents > len(parents), -1, parents)
    if len(parents) != len(SMPL_JOINTS) or tuple(parents[1:]) != SMPL_PARENTS[1:]:
        raise FileFormatError(
            f"The file's skeleton has {len(parents)} joints, not SMPL's 24 (SMPL-H and SMPL-X "
            "are not supported); choose an SMPL model file."
        )


def smpl_to_body(arrays: dict, betas=None, name: str = "SMPL") -> BodyModel:
    """Convert SMPL arrays (as :func:`read_smpl_file` returns) to a :class:`BodyModel`."""
    _check(arrays)
    verts = np.asarray(arrays["v_template"], dtype=np.float64)
    if betas is not None and "shapedirs" in arrays:
        b = np.asarray(betas, dtype=np.float64).ravel()
        dirs = np.asarray(arrays["shapedirs"], dtype=np.float64)[..., : len(b)]
        verts = verts + dirs @ b[: dirs.shape[-1]]
    verts = verts @ SMPL_TO_LIFT_AXES.T
    regressor = np.asarray(arrays["J_regressor"], dtype=np.float64)
    if regressor.shape != (len(SMPL_JOINTS), len(verts)):
        raise FileFormatError(f"J_regressor is {regressor.shape}, not (24, {len(verts)}).")
    lift_reg = lift_regressor(regressor, verts)
    joints = lift_reg @ verts
    shift = np.array([-joints[J["pelvis"], 0], -joints[J["pelvis"], 1], -verts[:, 2].min()])
    idx, w = _collapse_weights(np.asarray(arrays["weights"], dtype=np.float64))
    return BodyModel(
        vertices=verts + shift,
        faces=np.asarray(arrays["f"]).astype(np.int64),
        joints=joints + shift,
        skin_indices=idx,
        skin_weights=w,
        lift_regressor=lift_reg,
        name=name,
        source="user's SMPL model file (not distributed with Lift)",
    )


def lift_regressor(smpl_regressor: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """(21, V) regressor of the lift joints from SMPL's (24, V) ``J_regressor``."""
    rows = {n: smpl_regressor[i] for i, n in enumerate(SMPL_JOINTS)}
    out = np.zeros((NUM_JOINTS, len(verts)))
    for lift, smpl in LIFT_FROM_SMPL.items():
        out[J[lift]] = rows[smpl]
    out[J["pelvis"]] = 0.5 * (rows["l_hip"] + rows["r_hip"])
    out[J["spine"]] = (1 - SPINE_FRACTION) * out[J["pelvis"]] + SPINE_FRACTION * out[J["thorax"]]
    head = out[J["neck"]] @ verts  # SMPL's head joint; the skull top is the highest vertices
    above = np.flatnonzero(np.linalg.norm(verts[:, :2] - head[:2], axis=1) < 0.06)
    if len(above) == 0:
        above = np.arange(len(verts))
    top = above[np.argsort(-verts[above, 2])[:HEAD_TOP_VERTICES]]
    out[J["head"], top] = 1.0 / len(top)
    return out


def _collapse_weights(weights: np.ndarray, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """SMPL weights (V, 24) summed onto the Lift bones; top ``k`` per vertex, renormalised."""
    if weights.shape[1] != len(SMPL_JOINTS):
        raise FileFormatError(f"weights are {weights.shape}, not (V, 24).")
    dense = np.zeros((len(weights), len(BONE_NAMES)))
    for i, joint in enumerate(SMPL_JOINTS):
        dense[:, BONE_NAMES.index(SMPL_TO_LIFT_BONE[joint])] += weights[:, i]
    idx = np.argsort(-dense, axis=1)[:, :k]
    w = np.take_along_axis(dense, idx, axis=1)
    total = w.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        raise FileFormatError("Some vertices have no skin weights; the SMPL file is damaged.")
    return idx, w / total
