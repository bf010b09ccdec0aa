# SPDX-License-Identifier: GPL-3.0-or-later
"""Build an armature object from a rest skeleton (``lifting.retarget.RestSkeleton``)."""

import bpy
import numpy as np
from mathutils import Vector


def build_armature(collection, rest, name: str = "Lift"):
    """A new armature object in ``collection`` with ``rest``'s bones (armature space = world).

    Bones whose head sits on the parent's tail are connected. Rolls are set so each bone's
    local z matches ``rest.matrices``; every pose bone rotates by quaternion. The caller must
    be in Object Mode. Returns the object; its data-block and name are new (never reused).
    """
    arm = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, arm)
    collection.objects.link(obj)
    view_layer = bpy.context.view_layer
    previous = view_layer.objects.active
    view_layer.objects.active = obj
    try:
        with bpy.context.temp_override(active_object=obj, object=obj, selected_objects=[obj]):
            bpy.ops.object.mode_set(mode="EDIT")
            try:
                _add_edit_bones(arm, rest)
            finally:
                bpy.ops.object.mode_set(mode="OBJECT")
    finally:
        view_layer.objects.active = previous
    for pose_bone in obj.pose.bones:
        pose_bone.rotation_mode = "QUATERNION"
    return obj


def _add_edit_bones(arm, rest) -> None:
    bones = []
    for b, bone_name in enumerate(rest.names):
        eb = arm.edit_bones.new(bone_name)
        eb.head = Vector(rest.heads[b])
        eb.tail = Vector(rest.tails[b])
        eb.align_roll(Vector(rest.matrices[b][:, 2]))
        parent = rest.parents[b]
        if parent >= 0:
            eb.parent = bones[parent]
            eb.use_connect = bool(np.allclose(rest.heads[b], rest.tails[parent], atol=1e-6))
        bones.append(eb)


def rest_matrices(obj) -> np.ndarray:
    """The armature's actual rest orientations (B, 3, 3) (``bone.matrix_local``), bone order."""
    return np.array([np.array(b.matrix_local)[:3, :3] for b in obj.data.bones])
