# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a target armature into a plain :class:`RigDescription` for the retarget maths.

Also: make a linked (library) armature editable through a library override, switch a Rigify
rig's limbs to FK (the retarget drives its FK controls), and probe which mapped bone really
rotates which (constraints, not only parenting, wire Rigify's controls together).
"""

import numpy as np
from mathutils import Quaternion

from ..lifting.errors import LinkedRigError
from ..lifting.retarget.rigdesc import RigDescription

# Rigify's switches on ``*_parent.L/R`` and ``torso``: FK limbs that follow their parents,
# a neck and head that follow the chest rigidly.
RIGIFY_SWITCHES = {"IK_FK": 1.0, "FK_limb_follow": 0.0, "neck_follow": 1.0, "head_follow": 1.0}


def read_rig(obj) -> RigDescription:
    """The rest pose of armature object ``obj`` (armature space) and its world matrix."""
    bones = obj.data.bones
    names = [b.name for b in bones]
    index = {n: i for i, n in enumerate(names)}
    return RigDescription(
        names=tuple(names),
        parents=np.array([index[b.parent.name] if b.parent else -1 for b in bones]),
        heads=np.array([tuple(b.head_local) for b in bones]),
        tails=np.array([tuple(b.tail_local) for b in bones]),
        matrices=np.array([np.array(b.matrix_local)[:3, :3] for b in bones]),
        object_matrix=np.array(obj.matrix_world),
        name=obj.name,
    )


def editable_armature(context, obj):
    """``obj`` itself, or a library override of it if it is linked from a library.

    Raises :class:`LinkedRigError` if ``obj`` is not an armature or cannot be overridden.
    """
    if obj is None or obj.type != "ARMATURE":
        name = getattr(obj, "name", None)
        raise LinkedRigError(f"{name!r} is not an armature: pick an armature as the target.")
    if obj.library is None and obj.override_library is None:
        return obj
    if obj.override_library is not None and obj.library is None:
        return obj  # already a local override
    try:
        override = obj.override_create(remap_local_usages=True)
    except (RuntimeError, AttributeError) as err:
        override = None
        reason = str(err)
    else:
        reason = "Blender made no override"
    if override is None:
        raise LinkedRigError(
            f"Armature {obj.name!r} is linked from {obj.library.filepath!r} and could not be "
            f"overridden ({reason}). Make a library override (Object > Library Override > "
            "Make) and retarget onto that."
        )
    if override.name not in context.scene.collection.all_objects:
        context.scene.collection.objects.link(override)
    return override


def prepare_rigify(obj) -> list[str]:
    """Set Rigify's switches (:data:`RIGIFY_SWITCHES`) on ``obj``; returns what changed."""
    changed = []
    for pose_bone in obj.pose.bones:
        for key, value in RIGIFY_SWITCHES.items():
            if key in pose_bone and pose_bone[key] != value:
                pose_bone[key] = value
                changed.append(f'{pose_bone.name}["{key}"]')
    return changed


def probe_drivers(context, obj, bone_names) -> dict:
    """For each of ``bone_names``, the mapped bone whose rotation moves it most directly.

    Each mapped bone in turn is turned by a test rotation while the others rest; every mapped
    bone whose evaluated orientation changes is driven by it. A bone's driver is its deepest
    driver (the one driven by most of the others). Poses are restored afterwards.
    """
    pose = obj.pose.bones
    saved = {n: _pose_state(pose[n]) for n in bone_names}
    anim = obj.animation_data  # animation would overwrite the test pose: detach it meanwhile
    saved_anim = (anim.action, anim.use_nla) if anim is not None else None
    if anim is not None:
        anim.action, anim.use_nla = None, False
    try:
        for n in bone_names:
            pose[n].rotation_mode = "QUATERNION"
            pose[n].rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
        base = _orientations(context, obj, bone_names)
        driven_by = {n: set() for n in bone_names}
        for n in bone_names:
            pose[n].rotation_quaternion = Quaternion((0.6, 0.8, 0.0), 0.7)
            now = _orientations(context, obj, bone_names)
            pose[n].rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
            for m in bone_names:
                if m != n and np.abs(now[m] - base[m]).max() > 1e-4:
                    driven_by[m].add(n)
    finally:
        for n, (mode, quat, euler, loc) in saved.items():
            pose[n].rotation_mode = mode
            pose[n].rotation_quaternion, pose[n].rotation_euler, pose[n].location = quat, euler, loc
        if saved_anim is not None:
            anim.action, anim.use_nla = saved_anim
        context.view_layer.update()
    return {
        m: max(drivers, key=lambda d: len(driven_by[d])) if drivers else None
        for m, drivers in driven_by.items()
    }


def _pose_state(pose_bone) -> tuple:
    return (
        pose_bone.rotation_mode,
        tuple(pose_bone.rotation_quaternion),
        tuple(pose_bone.rotation_euler),
        tuple(pose_bone.location),
    )


def _orientations(context, obj, names) -> dict:
    context.view_layer.update()
    return {n: np.array(obj.pose.bones[n].matrix)[:3, :3] for n in names}
