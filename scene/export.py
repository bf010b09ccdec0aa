# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a lifted armature through Blender's own exporters (BVH, FBX)."""

from pathlib import Path

import bpy

FORMATS = ("BVH", "FBX")
_EXPORTERS = {"BVH": ("export_anim", "bvh"), "FBX": ("export_scene", "fbx")}


def _frame_range(obj, scene) -> tuple[int, int]:
    """The frames the armature's action covers, else the scene's range."""
    anim = obj.animation_data
    if anim and anim.action:
        start, end = anim.action.frame_range
        return round(start), round(end)
    return scene.frame_start, scene.frame_end


def exporter_available(fmt: str) -> bool:
    """Whether Blender's exporter for ``fmt`` is registered (its add-on may be disabled)."""
    module, name = _EXPORTERS[fmt]
    try:
        getattr(getattr(bpy.ops, module), name).get_rna_type()
    except KeyError:
        return False
    return True


def export(context, obj, path: str | Path, fmt: str = "BVH") -> Path:
    """Write ``obj`` (an armature with its action) to ``path`` as BVH or FBX; returns the path."""
    if obj is None or obj.type != "ARMATURE":
        raise ValueError("Select the lifted armature to export.")
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if not exporter_available(fmt):
        raise RuntimeError(f"Blender's {fmt} exporter is not available: enable its add-on.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = context.scene
    start, end = _frame_range(obj, scene)
    override = {
        "active_object": obj,
        "object": obj,
        "selected_objects": [obj],
        "selected_editable_objects": [obj],
    }
    previous = context.view_layer.objects.active
    selected = [o for o in context.view_layer.objects if o.select_get()]
    try:
        context.view_layer.objects.active = obj
        for o in selected:
            o.select_set(False)
        obj.select_set(True)
        with context.temp_override(**override):
            if fmt == "BVH":
                bpy.ops.export_anim.bvh(
                    filepath=str(path),
                    check_existing=False,
                    frame_start=start,
                    frame_end=end,
                    rotate_mode="NATIVE",
                    root_transform_only=True,
                )
            else:
                bpy.ops.export_scene.fbx(
                    filepath=str(path),
                    check_existing=False,
                    use_selection=True,
                    object_types={"ARMATURE"},
                    add_leaf_bones=False,
                    bake_anim=True,
                    bake_anim_use_all_actions=False,
                    bake_anim_use_nla_strips=False,
                )
    finally:
        obj.select_set(False)
        for o in selected:
            o.select_set(True)
        context.view_layer.objects.active = previous
    return path
