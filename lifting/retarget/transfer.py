"""Retarget a world motion in the lift layout onto any armature described by a
:class:`RigDescription` and a :class:`BoneMap` (no Blender).

Stages, in order:

1. the target's rest pose as lift joints, and the scale from the motion's body height to the
   target's in world units (``scale`` × motion metres); the motion keeps its world axes
   whatever the armature object's rotation and scale (an FBX import's Y-up armature space
   with 0.01 scale works as is), its world origin going to the armature object's origin;
2. per mapped bone, the world rotation of its body part away from the target's rest pose
   (:mod:`body_frames`), applied to the bone's own rest orientation: rest-pose differences
   (A/T pose) and rolls are handled per bone because each bone keeps its own rest frame;
3. forward kinematics of the target's joints, then root motion: the translation that puts the
   target's pelvis on the scaled motion's pelvis goes to the hips (the bone that carries hips
   and chest), a root bone, or the armature object;
4. foot locking on the target: during contacts each ankle is held still by two-bone IK on the
   thigh and shin (the foot keeps its world orientation);
5. local quaternions (``pose_bone.rotation_quaternion``) relative to each bone's *effective
   parent*: the mapped bone that really moves it (its nearest mapped ancestor, or what
   ``rig.drivers`` says for rigs wired by constraints, such as Rigify's FK controls).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RigMappingError
from ..motion.contacts import detect_contacts, lock_targets, two_bone_ik
from ..skeleton import JOINT_INDEX as J
from .body_frames import body_height, rest_lift_joints, role_frames
from .bonemap import BoneMap
from .rigdesc import RigDescription
from .rotations import make_continuous, matrix_to_quat
from .solve import swing

ROOT_MOTION = ("hips", "root", "object")
# lift joint (without side) at the head of each limb role's bone
LIMB_JOINTS = (
    ("hip", "thigh"),
    ("knee", "shin"),
    ("ankle", "foot"),
    ("shoulder", "upper_arm"),
    ("elbow", "forearm"),
    ("wrist", "hand"),
)


@dataclass
class TargetMotion:
    """Retargeted animation for T frames.

    - ``bones``: the K mapped bone names; ``rotations (T, K, 4)`` w, x, y, z local quaternions,
      continuous in time.
    - ``location_bone``: the bone that carries root motion (None for ``"object"``);
      ``locations (T, 3)`` its ``pose_bone.location`` (armature units, bone-local axes).
    - ``object_locations (T, 3)``: the armature object's world locations for ``"object"``
      root motion, else None.
    - ``joints (T, 21, 3)``: where the target's lift joints end up (armature space), as this
      module's model of the rig predicts; ``scale``: world units per motion metre.
    """

    bones: tuple[str, ...]
    rotations: np.ndarray
    location_bone: str | None
    locations: np.ndarray
    object_locations: np.ndarray | None
    joints: np.ndarray
    scale: float


def effective_parents(rig: RigDescription, mapped: list[int]) -> dict[int, int]:
    """Mapped bone → the mapped bone whose rotation it inherits (-1: none).

    ``rig.drivers`` (bone name → driving bone name, e.g. probed in Blender) wins; otherwise
    the nearest mapped ancestor in the hierarchy.
    """
    drivers = rig.drivers or {}
    out = {}
    for i in mapped:
        name = rig.names[i]
        if name in drivers:
            out[i] = rig.index(drivers[name]) if drivers[name] else -1
            continue
        out[i] = next((a for a in rig.ancestors(i) if a in mapped), -1)
    return out


def _ordered(parents: dict[int, int]) -> list[int]:
    order, done = [], set()
    while len(order) < len(parents):
        progressed = False
        for i, p in parents.items():
            if i not in done and (p < 0 or p in done):
                order.append(i)
                done.add(i)
                progressed = True
        if not progressed:
            raise RigMappingError("The mapped bones drive each other in a loop; check the map.")
    return order


def location_bone(rig: RigDescription, bonemap: BoneMap, root_motion: str) -> int | None:
    """Index of the bone that carries root motion; None for the armature object."""
    if root_motion not in ROOT_MOTION:
        raise ValueError(f"root_motion must be one of {ROOT_MOTION}, not {root_motion!r}")
    if root_motion == "object":
        return None
    if root_motion == "root":
        if not bonemap.bones.get("root"):
            raise RigMappingError(
                f"Armature {rig.name!r} has no root bone in the bone map: pick one in the "
                "Retarget panel, or send root motion to the hips or the armature object."
            )
        return rig.index(bonemap.bones["root"])
    hips, chest = rig.index(bonemap.bones["hips"]), rig.index(bonemap.bones["chest"])
    above_chest = [chest, *rig.ancestors(chest)]
    common = next((a for a in [hips, *rig.ancestors(hips)] if a in above_chest), None)
    if common is None:
        raise RigMappingError(
            f"Armature {rig.name!r}: the hips and chest bones share no parent bone to carry "
            "root motion; send root motion to a root bone or the armature object."
        )
    return common


def _world_rotations(rig, bonemap, roles, joints, rest_joints):
    """Armature-space orientations (T, K, 3, 3) for the mapped bones."""
    f_motion, f_rest = role_frames(joints), role_frames(rest_joints)
    out = []
    for role in roles:
        delta = f_motion[role] @ f_rest[role].T
        out.append(delta @ rig.matrices[rig.index(bonemap.bones[role])])
    return np.stack(out, axis=1)


def _forward_heads(rig, idx, parent, world):
    """Heads (T, K, 3) of mapped bones under their effective parents, no root motion."""
    heads = np.empty((world.shape[0], len(idx), 3))
    pos = {b: k for k, b in enumerate(idx)}
    for b in _ordered(parent):
        k, p = pos[b], parent[b]
        if p < 0:
            heads[:, k] = rig.heads[b]
        else:
            offset = rig.matrices[p].T @ (rig.heads[b] - rig.heads[p])
            heads[:, k] = heads[:, pos[p]] + world[:, pos[p]] @ offset
    return heads


def _joint_positions(rig, bonemap, roles, heads, world):
    """Target lift joints (T, 21, 3) from posed mapped heads and orientations."""
    pos = {r: k for k, r in enumerate(roles)}
    out = np.full((heads.shape[0], len(J), 3), np.nan)

    def tail(role):
        b = rig.index(bonemap.bones[role])
        local = rig.matrices[b].T @ (rig.tails[b] - rig.heads[b])
        return heads[:, pos[role]] + world[:, pos[role]] @ local

    out[:, J["pelvis"]] = 0.5 * (heads[:, pos["thigh.L"]] + heads[:, pos["thigh.R"]])
    out[:, J["spine"]] = heads[:, pos["chest"]]
    out[:, J["thorax"]] = heads[:, pos["neck"] if "neck" in pos else pos["head"]]
    out[:, J["neck"]], out[:, J["head"]] = heads[:, pos["head"]], tail("head")
    for side in ("L", "R"):
        s = side.lower()
        for joint, role in LIMB_JOINTS:
            out[:, J[f"{s}_{joint}"]] = heads[:, pos[f"{role}.{side}"]]
        toe = f"toe.{side}"
        out[:, J[f"{s}_toe"]] = heads[:, pos[toe]] if toe in pos else tail(f"foot.{side}")
        out[:, J[f"{s}_hand"]] = tail(f"hand.{side}")
    return out


def pivot_contacts(
    joints: np.ndarray, contacts: np.ndarray, scale: float = 1.0, up=(0.0, 0.0, 1.0)
) -> np.ndarray:
    """Per-joint contacts (T, 4) (left ankle, left toe, right ankle, right toe) from foot
    contacts (T, 2): a planted foot pivots about its heel while the ankle is within 3 cm
    (× ``scale``) of its lowest level along ``up``, else about its toe. (T, 4) input is
    returned as is."""
    contacts = np.asarray(contacts, dtype=bool)
    if contacts.shape[1] == 4:
        return contacts
    ankles = joints[:, [J["l_ankle"], J["r_ankle"]]] @ np.asarray(up, dtype=np.float64)
    heel_down = ankles - np.percentile(ankles, 5, axis=0) < 0.03 * scale
    out = np.stack([contacts & heel_down, contacts & ~heel_down], axis=-1)
    return out.reshape(len(contacts), 4)


def _lock_feet(target, world, pos, contacts, *, fps, up):
    """Hold each planted foot's pivot (heel or toe, ``contacts (T, 4)`` as from
    :func:`pivot_contacts`) still over the floor (across unit ``up``) by two-bone IK on thigh
    and shin; the
    foot keeps its world orientation. Updates ``world``; returns the new joints (T, 21, 3)."""
    out = target.copy()
    for f, side in enumerate(("l", "r")):
        hip, knee, ankle, toe = (J[f"{side}_{n}"] for n in ("hip", "knee", "ankle", "toe"))
        goals, weights = lock_targets(out[:, [ankle, toe]], contacts[:, 2 * f : 2 * f + 2], fps)
        wa, wt = weights[:, :1], weights[:, 1:]
        if not np.any(wa + wt):
            continue
        from_heel = goals[:, 0] - out[:, ankle]
        from_toe = goals[:, 1] - out[:, toe]
        move = np.where(wt > wa, wt * from_toe, wa * from_heel)
        move -= (move @ up)[:, None] * up  # hold still over the floor; heels may still lift
        goal = out[:, ankle] + move
        thigh = np.linalg.norm(out[:, knee] - out[:, hip], axis=-1, keepdims=True)
        shin = np.linalg.norm(out[:, ankle] - out[:, knee], axis=-1, keepdims=True)
        new_knee, new_ankle = two_bone_ik(out[:, hip], out[:, knee], goal, thigh, shin)
        held = (wa + wt)[:, 0] > 0
        for a, b, new_a, new_b, role in (
            (hip, knee, out[:, hip], new_knee, "thigh"),
            (knee, ankle, new_knee, new_ankle, "shin"),
        ):
            turn = swing(_unit(out[:, b] - out[:, a]), _unit(new_b - new_a))
            k = pos[f"{role}.{side.upper()}"]
            world[held, k] = turn[held] @ world[held, k]
        shift = new_ankle - out[:, ankle]
        out[held, knee], out[held, ankle] = new_knee[held], new_ankle[held]
        out[held, toe] += shift[held]
    return out


def _unit(v):
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def retarget(
    joints: np.ndarray,
    rig: RigDescription,
    bonemap: BoneMap,
    *,
    fps: float = 30.0,
    contacts: np.ndarray | None = None,
    root_motion: str = "hips",
    scale: float | None = None,
    foot_lock: bool = True,
) -> TargetMotion:
    """Retarget world joints (T, 21, 3) (metres, Z up, floor Z = 0) onto ``rig``.

    ``contacts (T, 2)`` bool (left, right foot; ``Motion.contacts``) or (T, 4) (left ankle,
    left toe, right ankle, right toe) drive foot locking; None detects them from the motion.
    ``scale`` (world units per metre) defaults to the ratio of body heights. The motion's
    world origin maps to the armature object's origin; its axes stay the world's.
    """
    bonemap.check(rig)
    joints = np.asarray(joints, dtype=np.float64)
    rest = rest_lift_joints(rig, bonemap)
    to_world = rig.object_matrix[:3, :3]
    if scale is None:
        scale = float(body_height(rest @ to_world.T) / np.median(body_height(joints)))
    goal = (joints * scale) @ np.linalg.inv(to_world).T  # armature space
    up = np.linalg.solve(to_world, [0.0, 0.0, 1.0])
    up /= np.linalg.norm(up)
    roles = [r for r in bonemap.bones if bonemap.bones[r] and r != "root"]
    idx = [rig.index(bonemap.bones[r]) for r in roles]
    parent = effective_parents(rig, idx)
    world = _world_rotations(rig, bonemap, roles, goal, rest)
    heads = _forward_heads(rig, idx, parent, world)
    posed = _joint_positions(rig, bonemap, roles, heads, world)
    shift = goal[:, J["pelvis"]] - posed[:, J["pelvis"]]
    posed = posed + shift[:, None]
    if foot_lock:
        if contacts is None:
            contacts = detect_contacts(joints, fps)[1]
        pos = {r: k for k, r in enumerate(roles)}
        pivots = pivot_contacts(goal, contacts, scale / rig.object_scale, up)
        posed = _lock_feet(posed, world, pos, pivots, fps=fps, up=up)
    rotations = _local_rotations(rig, idx, parent, world)
    loc_bone = location_bone(rig, bonemap, root_motion)
    if loc_bone is None:
        obj = rig.object_matrix
        locations = np.zeros_like(shift)
        object_locations = obj[:3, 3] + shift @ obj[:3, :3].T
    else:
        locations = shift @ rig.matrices[loc_bone]  # rest_ᵀ @ Δ for every frame
        object_locations = None
    return TargetMotion(
        bones=tuple(rig.names[i] for i in idx),
        rotations=rotations,
        location_bone=None if loc_bone is None else rig.names[loc_bone],
        locations=locations,
        object_locations=object_locations,
        joints=posed,
        scale=scale,
    )


def _local_rotations(rig, idx, parent, world):
    """Local quaternions (T, K, 4): ``rest_bᵀ @ rest_e @ W_eᵀ @ W_b`` (e: effective parent)."""
    pos = {b: k for k, b in enumerate(idx)}
    local = np.empty_like(world)
    for b in idx:
        k, p = pos[b], parent[b]
        if p < 0:
            local[:, k] = rig.matrices[b].T @ world[:, k]
        else:
            rel = rig.matrices[b].T @ rig.matrices[p]
            local[:, k] = rel @ np.swapaxes(world[:, pos[p]], -1, -2) @ world[:, k]
    return make_continuous(matrix_to_quat(local))
