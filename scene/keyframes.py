# SPDX-License-Identifier: GPL-3.0-or-later
"""The one KeyframePlan writer.

A plan is ``{(data_path, index): (N, 2) float32 [frame, value]}``. Writing it costs one
``keyframe_points.add`` + ``foreach_set`` per curve, the interpolation set once through the
enum's integer value, and one ``fcurve.update()`` — hundreds of times faster than
``keyframe_insert`` per key (bench/blender.py).
"""

import numpy as np

from . import compat


def group_for(data_path: str) -> str | None:
    """Channel group of a data path: the bone name for ``pose.bones["name"]...``."""
    if data_path.startswith('pose.bones["'):
        return data_path[len('pose.bones["') :].split('"]', 1)[0]
    return None


def write_plan(action, id_data, plan: dict, *, interpolation: str = "LINEAR") -> list:
    """Write ``plan`` into ``action`` for ``id_data`` (which gets the action assigned).

    Existing curves with the same data path and index are replaced, never appended to (a
    plan is the whole animation of its channels). Returns the F-curves written.
    """
    import bpy

    compat.assign_action(id_data, action)
    owner = compat.fcurve_owner(action, id_data)
    interp = compat.enum_value(bpy.types.Keyframe, "interpolation", interpolation)
    written = []
    for (data_path, index), plan_keys in plan.items():
        keys = np.ascontiguousarray(plan_keys, dtype=np.float32).reshape(-1, 2)
        old = owner.fcurves.find(data_path, index=index)
        if old is not None:
            owner.fcurves.remove(old)
        fcurve = compat.new_fcurve(owner, data_path, index, group_for(data_path))
        points = fcurve.keyframe_points
        points.add(len(keys))
        points.foreach_set("co", keys.ravel())
        points.foreach_set("interpolation", np.full(len(keys), interp, dtype=np.int32))
        fcurve.update()
        written.append(fcurve)
    return written


def pose_plan(frames: np.ndarray, bone_names, rotations: np.ndarray, locations=None) -> dict:
    """A plan for an armature: quaternions for every bone, locations for some.

    ``frames (T,)`` scene frames; ``rotations (T, B, 4)`` w, x, y, z; ``locations`` a dict
    ``{bone name: (T, 3)}`` (metres, bone-local) or None.
    """
    frames = np.asarray(frames, dtype=np.float32)
    plan = {}
    for b, name in enumerate(bone_names):
        path = f'pose.bones["{name}"].rotation_quaternion'
        for i in range(4):
            plan[(path, i)] = np.stack([frames, rotations[:, b, i]], axis=-1)
    for name, loc in (locations or {}).items():
        path = f'pose.bones["{name}"].location'
        for i in range(3):
            plan[(path, i)] = np.stack([frames, loc[:, i]], axis=-1)
    return plan
