"""Drive a body model from lifted joints: proportions once per clip, rotations per frame.

1. Proportions: the body is conformed (``model.conform``) onto a Lift rest skeleton — by
   default the clip's own (``lift_rest_skeleton``: median bone lengths, T-pose; the same
   armature ``scene/apply.py`` builds), or the body's own proportions scaled to the clip's
   height (``proportions="body"``), which keeps the body's shape but cannot reach joints
   that are further apart than its bones.
2. Rotations: per frame and bone, the IK solve of ``lifting.retarget.solve``: each bone's axis
   points at its tail joint, its twist comes from neighbouring joints (hip line for the hips,
   hips + shoulders for the spine, the hip-knee-ankle plane for the legs, the arm's plane for
   the arms, the parent's twist where that plane degenerates) and quaternions are made
   continuous across frames (no sign flips).
3. The posed body: forward kinematics, then linear blend skinning (``model.skin``).

World frame, metres, Z up. ``joints (T, 21, 3)`` in the lift layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..retarget.lift_rig import fill_missing, lift_rest_skeleton, skeleton_from_rest_joints
from ..retarget.rest import RestSkeleton
from ..retarget.solve import forward_kinematics, solve
from ..skeleton import JOINT_INDEX as J
from ..skeleton import NUM_JOINTS
from .model import BodyModel, conform, skin

PROPORTIONS = ("clip", "body")


@dataclass
class BodyFit:
    """A body fitted to a clip of T frames.

    - ``rest``: the Lift rest skeleton the body is bound to; ``rest_vertices (V, 3)`` the body
      on it (what Blender's mesh holds).
    - ``rotations (T, 18, 4)`` w, x, y, z local quaternions (``pose_bone.rotation_quaternion``),
      ``root_locations (T, 3)`` the hips bone's ``pose_bone.location`` (bone-local metres).
    - ``heads (T, 18, 3)``, ``orientations (T, 18, 3, 3)``: posed bones (world).
    - ``joints (T, 21, 3)``: where the fitted body's lift joints are (world).
    """

    rest: RestSkeleton
    rest_vertices: np.ndarray
    rotations: np.ndarray
    root_locations: np.ndarray
    heads: np.ndarray
    orientations: np.ndarray
    joints: np.ndarray


def body_rest_skeleton(model: BodyModel, joints: np.ndarray, proportions: str) -> RestSkeleton:
    """The rest skeleton a body is bound to for a clip ``joints (T, 21, 3)``."""
    if proportions not in PROPORTIONS:
        raise ValueError(f"proportions must be one of {PROPORTIONS}, not {proportions!r}")
    if proportions == "clip":
        return lift_rest_skeleton(joints)
    own = model.joints.astype(np.float64)
    height = _height(own[None])[0]
    scale = float(np.median(_height(joints)) / max(height, 1e-6))
    return skeleton_from_rest_joints(own * scale)


def _height(joints: np.ndarray) -> np.ndarray:
    """Body height proxy (T,): ankle → knee → hip → pelvis → spine → thorax → neck → head."""
    chain = ("l_ankle", "l_knee", "l_hip", "pelvis", "spine", "thorax", "neck", "head")
    idx = [J[n] for n in chain]
    return np.linalg.norm(np.diff(joints[:, idx], axis=1), axis=-1).sum(axis=1)


def bone_joints(rest: RestSkeleton, heads: np.ndarray, orientations: np.ndarray) -> np.ndarray:
    """Lift joints (T, 21, 3) of posed bones: heads, and tails where no bone starts."""
    out = np.full((len(heads), NUM_JOINTS, 3), np.nan)
    tails = heads + orientations[..., :, 1] * rest.lengths[None, :, None]
    out[:, rest.tail_joint] = tails
    out[:, rest.head_joint] = heads
    return out


def fit_body(
    model: BodyModel,
    joints: np.ndarray,
    *,
    proportions: str = "clip",
    rest: RestSkeleton | None = None,
) -> BodyFit:
    """Fit ``model`` to world joints ``joints (T, 21, 3)`` (NaN gaps are filled in time).

    ``rest``: bind the body to this Lift rest skeleton instead (e.g. an armature's as Blender
    stored it); ``proportions`` is then unused.
    """
    joints = fill_missing(np.asarray(joints, dtype=np.float64))
    if rest is None:
        rest = body_rest_skeleton(model, joints, proportions)
    solved = solve(joints, rest)
    root = rest.index("hips")
    locations = np.zeros_like(solved.locations)
    locations[:, root] = solved.locations[:, root]
    heads, _, orientations = forward_kinematics(rest, solved.rotations, locations)
    return BodyFit(
        rest=rest,
        rest_vertices=conform(model, rest),
        rotations=solved.rotations,
        root_locations=solved.locations[:, root],
        heads=heads,
        orientations=orientations,
        joints=bone_joints(rest, heads, orientations),
    )


def posed_vertices(model: BodyModel, fit: BodyFit, frames=slice(None)) -> np.ndarray:
    """The fitted body's vertices (T', V, 3) (world metres) for ``frames`` of the clip."""
    return skin(model, fit.rest, fit.heads[frames], fit.orientations[frames], fit.rest_vertices)


def pose_own(model: BodyModel, joints: np.ndarray, vertices: bool = True):
    """The body with its own proportions in the poses of ``joints (T, 21, 3)``, pelvis fixed.

    Returns ``(verts (T, V, 3) or None, body_joints (T, 21, 3))``: the posed mesh (linear blend
    skinning) and its skeleton's lift joints (which keep the body's bone lengths). Used to make
    posed bodies from mocap (regressor fitting, mesh-net training data).
    """
    rest = model.rest_skeleton()
    solved = solve(fill_missing(np.asarray(joints, dtype=np.float64)), rest)
    heads, _, orientations = forward_kinematics(rest, solved.rotations)
    body_joints = bone_joints(rest, heads, orientations)
    verts = skin(model, rest, heads, orientations) if vertices else None
    return verts, body_joints
