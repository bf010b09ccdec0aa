"""Export through Blender's own exporters; BVH round trip through Blender's importer."""

import bpy
import numpy as np
import pytest


def world_heads(obj, frame):
    bpy.context.scene.frame_set(frame)
    mw = np.array(obj.matrix_world)
    return {b.name: mw[:3, :3] @ np.array(b.head) + mw[:3, 3] for b in obj.pose.bones}


def test_bvh_round_trip_reproduces_joint_positions(empty_scene, gt_result, tmp_path):
    from lift_mocap.scene.apply import apply_result
    from lift_mocap.scene.export import export

    arm = apply_result(bpy.context, gt_result)["armature"]
    path = export(bpy.context, arm, tmp_path / "walk.bvh", "BVH")
    text = path.read_text()
    assert text.startswith("HIERARCHY") and "Frames: 90" in text
    before = set(bpy.data.objects)
    bpy.ops.import_anim.bvh(
        filepath=str(path), axis_forward="Y", axis_up="Z", rotate_mode="NATIVE", use_fps_scale=False
    )
    (imported,) = [o for o in bpy.data.objects if o not in before]
    assert {b.name for b in imported.pose.bones} == {b.name for b in arm.pose.bones}
    joints = gt_result.motion.joints
    worst = 0.0
    for frame in (1, 30, 61, 90):
        want, got = world_heads(arm, frame), world_heads(imported, frame)
        worst = max(worst, *(np.linalg.norm(want[n] - got[n]) for n in want))
        # and the armature's root is still on the clip's pelvis
        assert np.allclose(want["hips"], joints[frame - 1, 0], atol=1e-4)
    assert worst < 1e-3  # metres


def test_fbx_export_writes_a_file(empty_scene, gt_result, tmp_path):
    from lift_mocap.scene.apply import apply_result
    from lift_mocap.scene.export import export

    arm = apply_result(bpy.context, gt_result)["armature"]
    path = export(bpy.context, arm, tmp_path / "walk.fbx", "FBX")
    assert path.stat().st_size > 10_000
    assert path.read_bytes()[:18] == b"Kaydara FBX Binary"


def test_export_refuses_a_non_armature(empty_scene, tmp_path):
    from lift_mocap.scene.export import export

    with pytest.raises(ValueError, match="armature"):
        export(bpy.context, None, tmp_path / "x.bvh")


def test_export_operator(registered, gt_result, tmp_path):
    from lift_mocap.scene.apply import apply_result

    apply_result(bpy.context, gt_result)
    assert bpy.ops.lift.export(filepath=str(tmp_path / "out"), format="BVH") == {"FINISHED"}
    assert (tmp_path / "out.bvh").read_text().startswith("HIERARCHY")


def test_exporters_are_found(addon):
    from lift_mocap.scene import export

    assert export.exporter_available("BVH") and export.exporter_available("FBX")
    export._EXPORTERS["NOPE"] = ("export_anim", "no_such_exporter")
    try:
        assert not export.exporter_available("NOPE")
    finally:
        del export._EXPORTERS["NOPE"]
