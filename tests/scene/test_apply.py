"""apply_result on known motion: keys, evaluated pose, names, scene timing, camera."""

import json

import bpy
import numpy as np
import pytest


def bone_world(obj, frame):
    """Heads and tails (B, 3) of every pose bone, world space, at a scene frame."""
    bpy.context.scene.frame_set(frame)
    mw = np.array(obj.matrix_world)
    bones = obj.pose.bones
    heads = np.array([mw[:3, :3] @ np.array(b.head) + mw[:3, 3] for b in bones])
    tails = np.array([mw[:3, :3] @ np.array(b.tail) + mw[:3, 3] for b in bones])
    return heads, tails


def test_one_key_per_frame_on_every_curve(empty_scene, gt_result):
    from lift_mocap.scene import compat
    from lift_mocap.scene.apply import apply_result

    created = apply_result(bpy.context, gt_result)
    arm, action = created["armature"], created["action"]
    curves = compat.action_fcurves(action, arm)
    frames = len(gt_result.motion.joints)
    assert len(curves) == 4 * len(arm.pose.bones) + 3
    assert {c.data_path for c in curves} >= {
        f'pose.bones["{b.name}"].rotation_quaternion' for b in arm.pose.bones
    }
    for c in curves:
        keys = np.empty(2 * len(c.keyframe_points))
        c.keyframe_points.foreach_get("co", keys)
        assert np.array_equal(keys[::2], np.arange(1, frames + 1)), c.data_path
    assert all(b.rotation_mode == "QUATERNION" for b in arm.pose.bones)


def test_evaluated_pose_follows_the_joints(empty_scene, gt_result):
    from lift_mocap.lifting.retarget import lift_rest_skeleton
    from lift_mocap.scene.apply import apply_result

    joints = gt_result.motion.joints.astype(np.float64)
    arm = apply_result(bpy.context, gt_result)["armature"]
    rest = lift_rest_skeleton(joints)
    assert [b.name for b in arm.data.bones] == list(rest.names)
    for i in (0, 17, 44, 89):
        heads, tails = bone_world(arm, 1 + i)
        # the root sits on the pelvis exactly
        assert np.allclose(heads[0], joints[i, rest.head_joint[0]], atol=1e-4)
        # every bone points from its head joint to its tail joint
        want = joints[i, rest.tail_joint] - joints[i, rest.head_joint]
        got = tails - heads
        cos = np.sum(want * got, -1) / np.linalg.norm(want, axis=-1) / np.linalg.norm(got, axis=-1)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 0.5, i


def test_blender_evaluates_like_the_numpy_kinematics(empty_scene, gt_result):
    """Blender's pose evaluation equals lifting.retarget.forward_kinematics on the same keys."""
    from lift_mocap.lifting.retarget import forward_kinematics, lift_rest_skeleton, solve
    from lift_mocap.scene.apply import apply_result
    from lift_mocap.scene.armature import rest_matrices

    joints = gt_result.motion.joints.astype(np.float64)
    arm = apply_result(bpy.context, gt_result)["armature"]
    rest = lift_rest_skeleton(joints)
    rest.matrices = rest_matrices(arm)
    out = solve(joints, rest)
    locations = np.zeros_like(out.locations)
    locations[:, 0] = out.locations[:, 0]
    heads, tails, _ = forward_kinematics(rest, out.rotations, locations)
    for i in (3, 50):
        bh, bt = bone_world(arm, 1 + i)
        assert np.allclose(bh, heads[i], atol=1e-4) and np.allclose(bt, tails[i], atol=1e-4)


def test_blender_rolls_match_the_numpy_convention(empty_scene, gt_result):
    """bone_matrix(head, tail, roll) reproduces Blender's matrix_local for the built rolls."""
    from lift_mocap.lifting.retarget import bone_matrix
    from lift_mocap.scene.apply import apply_result

    arm = apply_result(bpy.context, gt_result)["armature"]
    bones = arm.data.bones
    heads = np.array([b.head_local for b in bones])
    tails = np.array([b.tail_local for b in bones])
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    rolls = np.array([arm.data.edit_bones[b.name].roll for b in bones])
    bpy.ops.object.mode_set(mode="OBJECT")
    want = np.array([np.array(b.matrix_local)[:3, :3] for b in bones])
    assert np.allclose(bone_matrix(heads, tails, rolls), want, atol=1e-5)


def test_nothing_existing_is_overwritten(empty_scene, gt_result):
    from lift_mocap.scene.apply import apply_result

    mine = bpy.data.objects.new("Lift", bpy.data.armatures.new("Lift"))
    bpy.context.scene.collection.objects.link(mine)
    mine_action = bpy.data.actions.new("LiftAction")
    first = apply_result(bpy.context, gt_result)
    second = apply_result(bpy.context, gt_result)
    names = {first["armature"].name, second["armature"].name, "Lift"}
    assert len(names) == 3
    assert first["action"] != second["action"] != mine_action
    assert mine.name == "Lift" and mine.animation_data is None and len(mine.data.bones) == 0
    assert mine_action.name == "LiftAction" and mine_action.users == 0


def test_scene_follows_the_video(empty_scene, gt_result):
    from lift_mocap.scene.apply import ApplySettings, apply_result, scene_fps

    scene = bpy.context.scene
    scene.render.fps = 24
    created = apply_result(bpy.context, gt_result, ApplySettings(follow_video=True))
    assert (scene.render.fps, scene.render.fps_base) == (30, 1.0)
    assert (scene.frame_start, scene.frame_end) == (1, 90)
    assert scene.camera == created["camera"]
    assert scene_fps(29.97) == (30, pytest.approx(1.001, abs=1e-4))
    report = json.loads(created["armature"]["lift_report"])
    assert report["frames"] == 90 and report["detection_coverage"] == 1.0


def test_scene_kept_when_not_following(empty_scene, gt_result):
    from lift_mocap.scene.apply import ApplySettings, apply_result

    scene = bpy.context.scene
    scene.render.fps, scene.frame_start, scene.frame_end = 60, 10, 20
    apply_result(bpy.context, gt_result, ApplySettings(follow_video=False))
    assert (scene.render.fps, scene.frame_start, scene.frame_end) == (60, 10, 20)
    assert scene.camera is None  # left alone


def test_camera_matches_the_footage(empty_scene, gt_result):
    """A joint projected through the Blender camera lands where the footage's camera puts it."""
    from bpy_extras.object_utils import world_to_camera_view
    from lift_mocap.scene.apply import apply_result

    created = apply_result(bpy.context, gt_result)
    cam = created["camera"]
    m = gt_result.motion
    fov = 2 * np.arctan(m.camera["width"] / 2 / m.camera["focal_px"])
    assert cam.data.angle_x == pytest.approx(fov, rel=1e-4)
    scene = bpy.context.scene
    from mathutils import Vector

    rot, loc = np.asarray(m.camera["rotation"]), np.asarray(m.camera["location"])
    for p in m.joints[::30, 10]:
        pc = rot.T @ (p - loc)
        u = m.camera["focal_px"] * pc[0] / pc[2] + m.camera["width"] / 2
        v = m.camera["focal_px"] * pc[1] / pc[2] + m.camera["height"] / 2
        ndc = world_to_camera_view(scene, cam, Vector(p.astype(float)))
        assert ndc.x * m.camera["width"] == pytest.approx(u, abs=0.5)
        assert (1 - ndc.y) * m.camera["height"] == pytest.approx(v, abs=0.5)


def test_apply_leaves_edit_mode_and_fills_missing_frames(empty_scene, gt_result):
    from lift_mocap.scene import compat
    from lift_mocap.scene.apply import apply_result

    mesh = bpy.data.objects.new("Mesh", bpy.data.meshes.new("Mesh"))
    bpy.context.scene.collection.objects.link(mesh)
    bpy.context.view_layer.objects.active = mesh
    bpy.ops.object.mode_set(mode="EDIT")
    gt_result.motion.joints[10:12, 5] = np.nan  # a joint lost for two frames
    created = apply_result(bpy.context, gt_result)
    assert bpy.context.mode == "OBJECT"
    for c in compat.action_fcurves(created["action"], created["armature"]):
        co = np.empty(2 * len(c.keyframe_points))
        c.keyframe_points.foreach_get("co", co)
        assert np.isfinite(co).all()
