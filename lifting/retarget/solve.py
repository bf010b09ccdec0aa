"""Joint positions → per-bone local rotations and locations for a rest skeleton; and back.

Blender's pose evaluation, which both functions follow (4×4, armature space)::

    pose_b = pose_parent @ inv(rest_parent) @ rest_b @ basis_b,   basis_b = T(loc) @ R(quat)

so a bone's local rotation is ``rest_bᵀ @ rest_p @ pose_pᵀ @ pose_b`` (3×3 parts) and a root's
location is ``rest_bᵀ @ (head - rest_head)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rest import RestSkeleton, TwistRef
from .rotations import (
    EPS,
    make_continuous,
    matrix_to_quat,
    normalize,
    perpendicular,
    quat_to_matrix,
)

# Below sin(5°) of usable angle a twist reference is ignored; above sin(20°) it is trusted.
DEGENERATE = (0.087, 0.342)


@dataclass
class Retargeted:
    """Solver output for T frames and B bones.

    - ``rotations (T, B, 4)``: w, x, y, z local quaternions (``pose_bone.rotation_quaternion``),
      continuous in time (no sign flips between neighbouring frames).
    - ``locations (T, B, 3)``: local locations (``pose_bone.location``, metres) that put every
      bone's head on its joint; usually only roots are keyed.
    - ``orientations (T, B, 3, 3)``: posed bone orientations in armature space.
    """

    rotations: np.ndarray
    locations: np.ndarray
    orientations: np.ndarray


def rest_joint_positions(rest: RestSkeleton, num_joints: int) -> np.ndarray:
    """Rest positions (J, 3) of the joints that drive bones (heads and tails); NaN elsewhere."""
    out = np.full((num_joints, 3), np.nan)
    out[rest.tail_joint] = rest.tails
    out[rest.head_joint] = rest.heads
    return out


def twist_vector(ref: TwistRef, joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference vector (..., 3) of ``ref`` on ``joints (..., J, 3)`` and its scale (...).

    The scale is what the vector's length is compared with to judge degeneracy: its own length
    for ``"vector"``, the product of the two edge lengths for ``"normal"``.
    """
    if ref.kind == "vector":
        a = joints[..., list(ref.joints[0]), :].mean(axis=-2)
        b = joints[..., list(ref.joints[1]), :].mean(axis=-2)
        v = b - a
        return v, np.linalg.norm(v, axis=-1)
    if ref.kind == "normal":
        i, j, k = ref.joints
        e1 = joints[..., j, :] - joints[..., i, :]
        e2 = joints[..., k, :] - joints[..., j, :]
        scale = np.linalg.norm(e1, axis=-1) * np.linalg.norm(e2, axis=-1)
        return np.cross(e1, e2), scale
    raise ValueError(f"unknown twist reference kind {ref.kind!r}")


def rest_references(rest: RestSkeleton) -> np.ndarray:
    """Bone-local unit directions (B, 3) that each bone's twist reference has at rest."""
    num_joints = int(max(rest.head_joint.max(), rest.tail_joint.max())) + 1
    for ref in rest.twist:
        if ref.kind in ("vector", "normal"):
            flat = [j for group in ref.joints for j in np.atleast_1d(group)]
            num_joints = max(num_joints, int(max(flat)) + 1)
    joints = rest_joint_positions(rest, num_joints)
    out = np.zeros((len(rest.names), 3))
    for b, ref in enumerate(rest.twist):
        fallback = normalize(perpendicular(np.asarray(ref.rest_axis, float), np.array([0, 1, 0.0])))
        out[b] = fallback
        if ref.kind == "carry":
            continue
        v, scale = twist_vector(ref, joints)
        local = rest.matrices[b].T @ v
        local[1] = 0.0
        if np.all(np.isfinite(local)) and np.linalg.norm(local) > DEGENERATE[1] * scale:
            out[b] = normalize(local)
    return out


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotations (..., 3, 3) taking unit vectors ``a`` to unit vectors ``b``."""
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    k = 1.0 / np.maximum(1.0 + c, EPS)
    vx = np.zeros((*v.shape[:-1], 3, 3))
    vx[..., 0, 1], vx[..., 0, 2] = -v[..., 2], v[..., 1]
    vx[..., 1, 0], vx[..., 1, 2] = v[..., 2], -v[..., 0]
    vx[..., 2, 0], vx[..., 2, 1] = -v[..., 1], v[..., 0]
    return np.eye(3) + vx + (vx @ vx) * k[..., None, None]


def _posed_reference(ref, joints, y, carried):
    """Unit twist direction (T, 3) for one bone: observed, blended towards ``carried``."""
    if ref.kind == "carry":
        return carried
    v, scale = twist_vector(ref, joints)
    vp = perpendicular(v, y)
    s = np.linalg.norm(vp, axis=-1) / np.maximum(scale, EPS)
    w = np.clip((s - DEGENERATE[0]) / (DEGENERATE[1] - DEGENERATE[0]), 0.0, 1.0)[:, None]
    r = w * normalize(vp) + (1.0 - w) * carried
    bad = np.linalg.norm(r, axis=-1, keepdims=True) < 1e-6
    return normalize(np.where(bad, carried, r))


def solve(joints: np.ndarray, rest: RestSkeleton) -> Retargeted:
    """Bone rotations that make ``rest`` follow world joint positions ``joints (T, J, 3)``.

    Each bone's y axis points from its head joint to its tail joint; its twist follows its
    :class:`TwistRef`, falling back to "no twist relative to the parent" where the reference
    is degenerate. Positions are in the armature's space (metres), rest likewise.
    """
    joints = np.asarray(joints, dtype=np.float64)
    num_frames, num_bones = len(joints), len(rest.names)
    ref_local = rest_references(rest)
    local_frames = np.stack([ref_local, np.broadcast_to([0.0, 1.0, 0.0], ref_local.shape)], axis=-1)
    local_frames = np.concatenate(
        [local_frames, np.cross(ref_local, [0.0, 1.0, 0.0])[..., None]], -1
    )
    posed = np.empty((num_frames, num_bones, 3, 3))
    local = np.empty_like(posed)
    locations = np.zeros((num_frames, num_bones, 3))
    for b in range(num_bones):
        p = rest.parents[b]
        rest_b = rest.matrices[b]
        y = normalize(joints[:, rest.tail_joint[b]] - joints[:, rest.head_joint[b]])
        # The frame this bone would have with an identity local rotation.
        to_parent = rest.matrices[p].T @ rest_b if p >= 0 else rest_b
        unrotated = (
            posed[:, p] @ to_parent if p >= 0 else np.broadcast_to(rest_b, posed[:, b].shape)
        )
        carried = (swing(unrotated[..., :, 1], y) @ unrotated) @ ref_local[b]
        r = _posed_reference(rest.twist[b], joints, y, carried)
        frame = np.stack([r, y, np.cross(r, y)], axis=-1)
        posed[:, b] = frame @ local_frames[b].T
        local[:, b] = np.swapaxes(unrotated, -1, -2) @ posed[:, b]
        head = joints[:, rest.head_joint[b]]
        if p < 0:
            locations[:, b] = (head - rest.heads[b]) @ rest_b
        else:
            parent_head = joints[:, rest.head_joint[p]]
            offset = posed[:, p] @ (rest.matrices[p].T @ (rest.heads[b] - rest.heads[p]))
            locations[:, b] = np.einsum("tij,ti->tj", unrotated, head - parent_head - offset)
    rotations = make_continuous(matrix_to_quat(local))
    return Retargeted(rotations=rotations, locations=locations, orientations=posed)


def forward_kinematics(
    rest: RestSkeleton, rotations: np.ndarray, locations: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posed bones from local rotations (T, B, 4) and locations (T, B, 3) (None: zero).

    Returns ``heads (T, B, 3)``, ``tails (T, B, 3)`` and orientations ``(T, B, 3, 3)`` in
    armature space, exactly as Blender evaluates an armature without constraints.
    """
    rot = quat_to_matrix(rotations)
    num_frames, num_bones = rot.shape[:2]
    if locations is None:
        locations = np.zeros((num_frames, num_bones, 3))
    posed = np.empty((num_frames, num_bones, 3, 3))
    heads = np.empty((num_frames, num_bones, 3))
    for b in range(num_bones):
        p = rest.parents[b]
        rest_b = rest.matrices[b]
        if p < 0:
            base, base_head = np.broadcast_to(rest_b, rot[:, b].shape), rest.heads[b]
        else:
            base = posed[:, p] @ (rest.matrices[p].T @ rest_b)
            base_head = heads[:, p] + posed[:, p] @ (
                rest.matrices[p].T @ (rest.heads[b] - rest.heads[p])
            )
        heads[:, b] = base_head + np.einsum("tij,tj->ti", base, locations[:, b])
        posed[:, b] = base @ rot[:, b]
    tails = heads + posed[..., :, 1] * rest.lengths[None, :, None]
    return heads, tails, posed
