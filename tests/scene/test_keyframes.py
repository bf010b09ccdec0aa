"""The KeyframePlan writer: exact keys, interpolation, groups, replacement, evaluation."""

import bpy
import numpy as np


def fresh_object(name="Thing"):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = bpy.data.objects.new(name, None)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def keys_of(fcurve):
    co = np.empty(2 * len(fcurve.keyframe_points), dtype=np.float32)
    fcurve.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def test_plan_is_written_exactly(addon):
    from lift_mocap.scene.keyframes import write_plan

    obj = fresh_object()
    rng = np.random.default_rng(0)
    frames = np.arange(1, 201, dtype=np.float32)
    plan = {
        ("location", i): np.stack([frames, rng.normal(size=200)], -1).astype(np.float32)
        for i in range(3)
    }
    plan[("rotation_euler", 2)] = np.stack([frames[::2], rng.normal(size=100)], -1)
    action = bpy.data.actions.new("A")
    curves = write_plan(action, obj, plan)
    assert len(curves) == 4
    for fc in curves:
        assert np.array_equal(keys_of(fc), plan[(fc.data_path, fc.array_index)].astype(np.float32))
        assert {k.interpolation for k in fc.keyframe_points} == {"LINEAR"}
    assert obj.animation_data.action == action
    bpy.context.scene.frame_set(50)
    assert np.allclose(obj.location, [plan[("location", i)][49, 1] for i in range(3)], atol=1e-6)


def test_linear_interpolation_between_keys(addon):
    from lift_mocap.scene.keyframes import write_plan

    obj = fresh_object()
    action = bpy.data.actions.new("A")
    (fc,) = write_plan(action, obj, {("location", 0): np.array([[1, 0.0], [11, 10.0]])})
    assert abs(fc.evaluate(4.0) - 3.0) < 1e-6
    (fc,) = write_plan(
        action, obj, {("location", 0): np.array([[1, 0.0], [11, 10.0]])}, interpolation="CONSTANT"
    )
    assert fc.evaluate(4.0) == 0.0


def test_rewriting_a_channel_replaces_it(addon):
    from lift_mocap.scene import compat
    from lift_mocap.scene.keyframes import write_plan

    obj = fresh_object()
    action = bpy.data.actions.new("A")
    write_plan(action, obj, {("location", 0): np.array([[1, 1.0], [2, 2.0], [3, 3.0]])})
    write_plan(action, obj, {("location", 0): np.array([[5, 7.0]])})
    curves = compat.action_fcurves(action, obj)
    assert len(curves) == 1 and keys_of(curves[0]).tolist() == [[5.0, 7.0]]


def test_pose_plan_groups_channels_by_bone(addon):
    from lift_mocap.scene import compat
    from lift_mocap.scene.keyframes import group_for, pose_plan, write_plan

    bpy.ops.wm.read_factory_settings(use_empty=True)
    arm = bpy.data.objects.new("Arm", bpy.data.armatures.new("Arm"))
    bpy.context.scene.collection.objects.link(arm)
    rot = np.zeros((5, 2, 4))
    rot[..., 0] = 1
    plan = pose_plan(np.arange(5), ["a", "b"], rot, {"a": np.ones((5, 3))})
    assert len(plan) == 11
    action = bpy.data.actions.new("A")
    write_plan(action, arm, plan)
    curves = compat.action_fcurves(action, arm)
    assert {c.group.name for c in curves} == {"a", "b"}
    assert group_for('pose.bones["x.L"].location') == "x.L" and group_for("location") is None
