# SPDX-License-Identifier: GPL-3.0-or-later
"""Retarget a motion onto a user's armature: read the source, solve, write one new action.

Order: (1) the source's world joints — from a Lift armature's action, or given directly (the
pipeline's ``Motion``); (2) the target made editable (library override) and, for Rigify,
switched to FK; (3) its rest pose read, the bone map checked, and which bone really drives
which probed; (4) the retarget maths (``lifting.retarget.transfer``); (5) one KeyframePlan into
a new action. The target's previous action is kept (given a fake user), never overwritten.
"""

import bpy
import numpy as np

from ..lifting.errors import NotALiftArmatureError
from ..lifting.retarget.bonemap import BoneMap, auto_map
from ..lifting.retarget.lift_rig import LIFT_BONES, ROOT_BONE
from ..lifting.retarget.rest import RestSkeleton
from ..lifting.retarget.solve import forward_kinematics
from ..lifting.retarget.transfer import location_bone, retarget
from ..lifting.skeleton import JOINT_INDEX, NUM_JOINTS
from . import compat
from .keyframes import pose_plan, write_plan
from .retarget_ik import (
    IK_SWITCH,
    key_followers,
    key_leg_ik,
    rigify_legs,
    unreal_ik_bones,
    verify_legs,
)
from .rig_read import editable_armature, prepare_rigify, probe_drivers, read_rig


def lift_rest(obj) -> RestSkeleton:
    """The rest skeleton of a Lift armature ``obj`` (bones of ``LIFT_BONES``)."""
    bones = obj.data.bones if obj is not None and obj.type == "ARMATURE" else None
    names = tuple(b[0] for b in LIFT_BONES)
    if bones is None or any(n not in bones for n in names):
        raise NotALiftArmatureError(
            f"{getattr(obj, 'name', None)!r} is not an armature made by Lift Video: pick the "
            "armature Lift created as the source."
        )
    return RestSkeleton(
        names=names,
        parents=[names.index(b[3]) if b[3] else -1 for b in LIFT_BONES],
        heads=[tuple(bones[n].head_local) for n in names],
        tails=[tuple(bones[n].tail_local) for n in names],
        matrices=[np.array(bones[n].matrix_local)[:3, :3] for n in names],
        head_joint=[JOINT_INDEX[b[1]] for b in LIFT_BONES],
        tail_joint=[JOINT_INDEX[b[2]] for b in LIFT_BONES],
    )


CONTACTS_PROP = "lift_contacts"  # optional on a Lift armature: Motion.contacts, flat 0/1 (T*2)


def source_contacts(obj, num_frames: int) -> np.ndarray | None:
    """Foot contacts (T, 2) stored on a Lift armature, or None (the retarget detects them)."""
    if CONTACTS_PROP not in obj:
        return None
    flat = np.asarray(list(obj[CONTACTS_PROP]), dtype=bool)
    return flat.reshape(num_frames, 2) if flat.size == 2 * num_frames else None


def source_joints(obj) -> tuple[np.ndarray, np.ndarray]:
    """World joints (T, 21, 3) of a Lift armature's animation, one per whole frame of its keys,
    and those scene frames (T,)."""
    rest = lift_rest(obj)
    anim = obj.animation_data
    action = anim.action if anim is not None else None
    curves = compat.action_fcurves(action, obj) if action is not None else []
    keyed = [c for c in curves if len(c.keyframe_points)]
    if not keyed:
        raise NotALiftArmatureError(f"Armature {obj.name!r} has no animation to retarget.")
    first = min(c.range()[0] for c in keyed)
    last = max(c.range()[1] for c in keyed)
    frames = np.arange(int(np.floor(first)), int(np.ceil(last)) + 1, dtype=np.float64)
    by_path = {(c.data_path, c.array_index): c for c in keyed}

    def sample(path, size, default):
        out = np.tile(np.asarray(default, dtype=np.float64), (len(frames), 1))
        for i in range(size):
            curve = by_path.get((path, i))
            if curve is not None:
                out[:, i] = [curve.evaluate(f) for f in frames]
        return out

    rotations = np.stack(
        [sample(f'pose.bones["{n}"].rotation_quaternion', 4, (1, 0, 0, 0)) for n in rest.names],
        axis=1,
    )
    locations = np.zeros((len(frames), len(rest.names), 3))
    root = rest.index(ROOT_BONE)
    locations[:, root] = sample(f'pose.bones["{ROOT_BONE}"].location', 3, (0, 0, 0))
    heads, tails, _ = forward_kinematics(rest, rotations, locations)
    joints = np.full((len(frames), NUM_JOINTS, 3), np.nan)
    joints[:, rest.tail_joint] = tails
    joints[:, rest.head_joint] = heads
    world = np.array(obj.matrix_world)
    return joints @ world[:3, :3].T + world[:3, 3], frames


def check_target(context, target, bonemap: BoneMap | None = None, root_motion="hips") -> BoneMap:
    """The bone map :func:`retarget_onto` would use on armature ``target`` (``bonemap`` or the
    automatic one), checked against its bones and ``root_motion``; changes nothing.

    Raises ``LinkedRigError`` (not an armature) or ``RigMappingError`` (lists what could not
    be mapped).
    """
    if target is None or target.type != "ARMATURE":
        editable_armature(context, target)  # raises the error that says so
    rig = read_rig(target)
    bonemap = bonemap if bonemap is not None else auto_map(rig)
    bonemap.check(rig)
    location_bone(rig, bonemap, root_motion)
    return bonemap


def retarget_onto(
    context,
    target,
    joints: np.ndarray,
    frames: np.ndarray,
    fps: float,
    *,
    bonemap: BoneMap | None = None,
    contacts: np.ndarray | None = None,
    root_motion: str = "hips",
    foot_lock: bool = True,
    rig_ik: bool = True,
) -> dict:
    """Animate armature ``target`` with world ``joints (T, 21, 3)`` at scene ``frames (T,)``.

    ``bonemap`` None maps automatically. Returns ``{"object", "action", "bonemap", "motion",
    "rigify_switches", "previous_action"}``; ``object`` is a library override when ``target``
    was linked. ``rig_ik``: a Rigify rig's legs get their own IK controls keyed from the
    retargeted FK legs and are switched to IK; an Unreal-style rig's ``ik_foot_l/r`` and
    ``ik_hand_*`` bones follow the feet and hands (:mod:`.retarget_ik`). Raises
    ``RigMappingError``, ``LinkedRigError``.
    """
    bonemap = check_target(context, target, bonemap, root_motion)
    rig = read_rig(target)  # nothing changes before the map is known to be good
    target = editable_armature(context, target)
    switches = prepare_rigify(target)
    rig.object_matrix = np.array(target.matrix_world)
    driven = [b for r, b in bonemap.bones.items() if b and r != "root"]
    probed = probe_drivers(context, target, driven)
    rig.drivers = {b: d for b, d in probed.items()}
    motion = retarget(joints, rig, bonemap, fps=fps, contacts=contacts,
                      root_motion=root_motion, foot_lock=foot_lock)  # fmt: skip
    _clear_pose(target, rig, bonemap)
    for name in motion.bones:
        target.pose.bones[name].rotation_mode = "QUATERNION"
    locations = {motion.location_bone: motion.locations} if motion.location_bone else None
    plan = pose_plan(frames, motion.bones, motion.rotations, locations)
    if motion.object_locations is not None:
        for i in range(3):
            plan[("location", i)] = np.stack([frames, motion.object_locations[:, i]], axis=-1)
    anim = target.animation_data
    previous = anim.action if anim is not None else None
    if previous is not None:
        previous.use_fake_user = True
    action = bpy.data.actions.new(f"{target.name}_Lift")
    write_plan(action, target, plan)
    warnings = ik_overrides(target, motion.bones)
    followers = unreal_ik_bones(target, bonemap.bones) if rig_ik else []
    if followers:
        write_plan(action, target, key_followers(context, target, followers, frames))
    legs = rigify_legs(target, bonemap.bones) if rig_ik else []
    if legs:
        switches += rigify_ik_feet(context, target, action, legs, frames=frames, warnings=warnings)
    return {
        "warnings": warnings,
        "object": target,
        "action": action,
        "bonemap": bonemap,
        "motion": motion,
        "rigify_switches": switches,
        "previous_action": previous.name if previous is not None else None,
    }


def rigify_ik_feet(context, target, action, legs, *, frames, warnings) -> list[str]:
    """Key the legs' IK controls into ``action`` and switch them to IK; if Blender's IK legs
    then miss the FK legs by more than 1 % of the leg's length, back to FK with a warning.
    Returns the switches changed."""
    write_plan(action, target, key_leg_ik(context, target, legs, frames))
    bones = target.data.bones
    leg = legs[0]
    tolerance = 0.01 * (bones[leg.thigh_fk].length + bones[leg.shin_fk].length)
    gap = verify_legs(context, target, legs, frames)
    if gap <= tolerance:
        return [f'{leg.switches}["{IK_SWITCH}"] = 0 (IK, keyed)' for leg in legs]
    for leg in legs:
        target.pose.bones[leg.switches][IK_SWITCH] = 1.0
    warnings.append(
        f"the rig's leg IK misses the retargeted feet by {gap:.3f} (armature units): the legs "
        "stay on FK (their IK controls are keyed all the same)"
    )
    return []


def _clear_pose(target, rig, bonemap) -> None:
    """Rest pose for every bone the retarget may key (mapped bones, the root, the bone that
    carries hips and chest): values left by an earlier action must not add to the new one."""
    names = set(bonemap.bones.values())
    names.add(rig.names[location_bone(rig, bonemap, "hips")])
    for name in names:
        pose_bone = target.pose.bones[name]
        pose_bone.location = (0.0, 0.0, 0.0)
        pose_bone.rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
        pose_bone.rotation_euler = (0.0, 0.0, 0.0)


def ik_overrides(target, bone_names) -> list[str]:
    """Active IK constraints on keyed bones: they would override the keyed rotations, so the
    operator warns about them (the retarget never switches a user's constraint off)."""
    out = []
    for name in bone_names:
        for con in target.pose.bones[name].constraints:
            if con.type == "IK" and not con.mute and con.influence > 0.0:
                out.append(f"{name!r} has IK constraint {con.name!r}")
    return out
