"""Retarget the sample clip's ground-truth motion onto a generated Rigify rig, a Mixamo-named
armature and an odd custom one, in Blender (bpy module); positions are read back from Blender's
own evaluation.

Each target is built with the walker's proportions (scaled; Rigify's metarig is edited
before generating), so a correct retarget puts every mapped joint on the scaled source joint.
"""

from pathlib import Path

import bpy
import numpy as np
import pytest
import rigs
from mathutils import Vector

from lifting.motion.contacts import detect_contacts
from lifting.retarget.lift_rig import median_lengths, rest_joints
from lifting.retarget.transfer import LIMB_JOINTS, pivot_contacts
from lifting.skeleton import JOINT_INDEX as J

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "walk.npz"
FRAMES = 150
ENDS = {"l_wrist", "r_wrist", "l_hand", "r_hand", "l_ankle", "r_ankle"}
# lift joint → (role, "head"/"tail") on the target
JOINT_ROLES = {
    "neck": ("head", "head"),
    "head": ("head", "tail"),
    **{
        f"{s}_{joint}": (f"{role}.{s.upper()}", "head") for s in "lr" for joint, role in LIMB_JOINTS
    },
}


@pytest.fixture(scope="module")
def motion():
    """The sample clip's ground-truth world motion (tests/data/sample/walk.npz): a walk with a
    90° turn, 150 frames at 30 fps."""
    with np.load(SAMPLE) as data:
        joints = data["joints_world"].astype(np.float64)
        fps = float(data["fps"])
        assert list(data["joint_names"]) == list(J)
    contacts = detect_contacts(joints, fps)[1]
    return joints, contacts, median_lengths(joints), fps


@pytest.fixture(scope="module")
def retarget_module(addon):
    from lift_mocap.scene import retarget_apply

    return retarget_apply


def fresh_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30


def build_style(style, points, name, location=(0.0, 0.0, 0.0)):
    """An armature object with ``style``'s bones (tests/rigs.py) on ``points``."""
    return rigs.build_armature(style, points, name, location)


# metarig bone → (head point, tail point) of tests/rigs.py's points
METARIG_POINTS = {b[0]: (b[2], b[3]) for b in rigs.METARIG if not b[0].startswith("breast")}


def rigify_rig(points):
    """Rigify's human metarig moved onto ``points`` (other bones follow their nearest placed
    ancestor), then generated."""
    import addon_utils  # importable once bpy is

    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_human_metarig_add()
    meta = bpy.context.object
    bpy.ops.object.mode_set(mode="EDIT")
    edit = meta.data.edit_bones
    old_heads = {b.name: b.head.copy() for b in edit}
    moves = {}
    for bone in edit:  # parents come before children in edit_bones
        if bone.name in METARIG_POINTS:
            h, t = METARIG_POINTS[bone.name]
            moves[bone.name] = Vector(points[h]) - old_heads[bone.name]
    for bone in list(edit):
        if bone.name in METARIG_POINTS:
            h, t = METARIG_POINTS[bone.name]
            bone.head, bone.tail = Vector(points[h]), Vector(points[t])
        else:
            anc = bone.parent
            while anc is not None and anc.name not in moves:
                anc = anc.parent
            if anc is not None:
                shift = moves[anc.name]
                bone.head, bone.tail = bone.head + shift, bone.tail + shift
    for bone in edit:  # limbs need a bend to know their hinge: knees forward, elbows back
        for name, dy in (("shin", -0.01), ("forearm", 0.01)):
            if bone.name.startswith(name + "."):
                bone.head.y += dy
                bone.parent.tail.y += dy
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.pose.rigify_generate()
    rig = bpy.context.object
    assert rig.name != meta.name
    return rig


def target_points(lengths, scale, arm_drop):
    return rigs.rest_points(rest_joints(lengths, ankle_height=0.08) * scale, arm_drop_deg=arm_drop)


def evaluated_joints(obj, bonemap, frames):
    """World positions (T, 21, 3) of mapped joints, as Blender evaluates the rig."""
    out = np.full((len(frames), 21, 3), np.nan)
    pose = obj.pose.bones
    world = obj.matrix_world
    for t, f in enumerate(frames):
        bpy.context.scene.frame_set(int(f))
        for joint, (role, end) in JOINT_ROLES.items():
            pb = pose[bonemap.bones[role]]
            out[t, J[joint]] = world @ (pb.head if end == "head" else pb.tail)
        thighs = [world @ pose[bonemap.bones[f"thigh.{s}"]].head for s in "LR"]
        out[t, J["pelvis"]] = 0.5 * (np.array(thighs[0]) + np.array(thighs[1]))
        toes = [bonemap.bones.get(f"toe.{s}") for s in "LR"]
        for s, toe in zip("lr", toes, strict=True):
            foot = pose[bonemap.bones[f"foot.{s.upper()}"]]
            out[t, J[f"{s}_toe"]] = world @ (pose[toe].head if toe else foot.tail)
    return out


def check_result(result, obj, motion, frames, offset=(0.0, 0.0, 0.0)):
    joints, contacts = motion[:2]
    bonemap, motion = result["bonemap"], result["motion"]
    got = evaluated_joints(obj, bonemap, frames) - np.asarray(offset)
    want = joints * motion.scale
    errors = {}
    for joint in [*JOINT_ROLES, "pelvis"]:
        errors[joint] = np.linalg.norm(got[:, J[joint]] - want[:, J[joint]], axis=-1).mean()
        errors[joint] /= motion.scale
    for joint, err in errors.items():
        assert err <= (0.03 if joint in ENDS else 0.02), (joint, errors)
    # every mapped bone has a key on every frame on each of its rotation curves
    from lift_mocap.scene import compat

    curves = {(c.data_path, c.array_index): c for c in compat.action_fcurves(result["action"], obj)}
    for bone in motion.bones:
        for i in range(4):
            curve = curves[(f'pose.bones["{bone}"].rotation_quaternion', i)]
            keyed = np.array([k.co[0] for k in curve.keyframe_points])
            assert np.array_equal(keyed, frames), bone
    # feet do not slide while planted (the heel while it is down, else the toe)
    pivots = pivot_contacts(want, contacts, motion.scale)
    slides = []
    for k, joint in enumerate(("l_ankle", "l_toe", "r_ankle", "r_toe")):
        both = pivots[1:, k] & pivots[:-1, k]
        step = np.linalg.norm(np.diff(got[:, J[joint], :2], axis=0), axis=-1)
        slides.append(step[both] / motion.scale)
    slides = np.concatenate(slides)
    assert len(slides) > 20 and slides.mean() <= 0.005, slides.mean()
    return errors


def check_rigify_ik_legs(result, rig, motion, frames):
    """The legs are on the rig's own IK, its controls keyed on every frame, and the bones that
    the deforming legs follow (ORG-shin/foot/toe, and DEF-foot) stay on the source."""
    from lift_mocap.scene import compat

    joints, contacts = motion[:2]
    scale = result["motion"].scale
    assert {f'thigh_parent.{s}["IK_FK"] = 0 (IK, keyed)' for s in "LR"} <= set(
        result["rigify_switches"]
    ), (result["rigify_switches"], result["warnings"])
    assert result["warnings"] == []
    curves = compat.action_fcurves(result["action"], rig)
    keyed = {c.data_path: np.array([k.co[0] for k in c.keyframe_points]) for c in curves}
    for side in "LR":
        assert rig.pose.bones[f"thigh_parent.{side}"]["IK_FK"] == 0.0
        assert rig.pose.bones[f"thigh_parent.{side}"]["pole_vector"]
        for bone, channel in ((f"foot_ik.{side}", "location"), (f"foot_ik.{side}",
                              "rotation_quaternion"), (f"thigh_ik_target.{side}", "location"),
                              (f"toe_ik.{side}", "rotation_quaternion")):  # fmt: skip
            assert np.array_equal(keyed[f'pose.bones["{bone}"].{channel}'], frames), bone
    errors = {}
    ends = {"knee": ("ORG-shin", "head"), "ankle": ("ORG-foot", "head"),
            "toe": ("ORG-toe", "head")}  # fmt: skip
    got = np.full((len(frames), 21, 3), np.nan)
    deform = np.empty((len(frames), 2, 3))
    pose, world = rig.pose.bones, rig.matrix_world
    for t, f in enumerate(frames):
        bpy.context.scene.frame_set(int(f))
        for s in "lr":
            for joint, (bone, end) in ends.items():
                pb = pose[f"{bone}.{s.upper()}"]
                got[t, J[f"{s}_{joint}"]] = world @ getattr(pb, end)
        deform[t] = [world @ pose[f"DEF-foot.{s}"].head for s in "LR"]
        for s in "LR":  # the toe control turns the IK toe as the FK toe
            tip = (pose[f"ORG-toe.{s}"].tail - pose[f"toe_fk.{s}"].tail).length / scale
            assert tip < 0.001, (f, s, tip)
    want = joints * scale
    for joint in ("l_knee", "r_knee", "l_ankle", "r_ankle", "l_toe", "r_toe"):
        err = np.linalg.norm(got[:, J[joint]] - want[:, J[joint]], axis=-1).mean() / scale
        assert err <= (0.02 if "knee" in joint else 0.03), (joint, err)
        errors[joint] = round(err * 100, 2)
    gap = np.linalg.norm(deform - got[:, [J["l_ankle"], J["r_ankle"]]], axis=-1).max() / scale
    assert gap < 0.005, gap
    pivots = pivot_contacts(want, contacts, scale)
    slides = []
    for k, joint in enumerate(("l_ankle", "l_toe", "r_ankle", "r_toe")):
        both = pivots[1:, k] & pivots[:-1, k]
        step = np.linalg.norm(np.diff(got[:, J[joint], :2], axis=0), axis=-1)
        slides.append(step[both] / scale)
    slides = np.concatenate(slides)
    assert len(slides) > 20 and slides.mean() <= 0.005, slides.mean()
    print(f"rigify IK legs (cm): {errors}, slide {slides.mean() * 100:.3f} cm/frame, "
          f"DEF-foot gap {gap * 100:.3f}")  # fmt: skip


@pytest.mark.slow
def test_retarget_onto_a_generated_rigify_rig(addon, retarget_module, motion):
    joints, contacts, lengths, fps = motion
    fresh_scene()
    rig = rigify_rig(target_points(lengths, 1.1, 0.0))
    rig.pose.bones["foot_heel_ik.L"].rotation_euler.x = 0.3  # a heel roll left in the pose
    frames = np.arange(1, FRAMES + 1, dtype=np.float64)
    result = retarget_module.retarget_onto(bpy.context, rig, joints, frames, fps,
                                           contacts=contacts)  # fmt: skip
    bones = result["bonemap"].bones
    assert bones["thigh.L"] == "thigh_fk.L" and bones["upper_arm.R"] == "upper_arm_fk.R"
    assert bones["hips"] == "hips" and bones["chest"] == "chest" and bones["head"] == "head"
    assert result["motion"].location_bone == "torso"
    assert any("IK_FK" in s for s in result["rigify_switches"])
    errors = check_result(result, rig, motion, frames)
    print("rigify mean errors (cm):", {k: round(v * 100, 2) for k, v in errors.items()})
    check_rigify_ik_legs(result, rig, motion, frames)
    # again with root motion on Rigify's root bone (torso follows it by constraints); the
    # torso's keyed location from the first action must not linger. The user has muted the
    # left leg's IK: Blender's IK legs would miss the feet, so they stay on FK with a warning
    for con in rig.pose.bones["MCH-shin_ik.L"].constraints:
        con.driver_remove("mute")
        con.mute = True
    again = retarget_module.retarget_onto(bpy.context, rig, joints, frames, fps,
                                          contacts=contacts, root_motion="root")  # fmt: skip
    assert again["motion"].location_bone == "root"
    assert not any("(IK, keyed)" in s for s in again["rigify_switches"])
    assert len(again["warnings"]) == 1 and "stay on FK" in again["warnings"][0]
    assert [rig.pose.bones[f"thigh_parent.{s}"]["IK_FK"] for s in "LR"] == [1.0, 1.0]
    check_result(again, rig, motion, frames)
    # the deforming skeleton follows the FK controls
    bpy.context.scene.frame_set(40)
    for ctrl, deform in (("hand_fk.L", "DEF-hand.L"), ("foot_fk.R", "DEF-foot.R")):
        d = (rig.pose.bones[ctrl].head - rig.pose.bones[deform].head).length
        assert d < 0.01, (ctrl, d)


def test_retarget_onto_a_mixamo_armature_in_a_pose(addon, retarget_module, motion):
    joints, contacts, lengths, fps = motion
    fresh_scene()
    obj = build_style(rigs.MIXAMO, target_points(lengths, 0.9, 40.0), "Mixamo")
    frames = np.arange(10, 10 + FRAMES, dtype=np.float64)
    result = retarget_module.retarget_onto(bpy.context, obj, joints, frames, fps,
                                           contacts=contacts)  # fmt: skip
    assert result["bonemap"].bones["shin.L"] == "mixamorig:LeftLeg"
    assert result["motion"].location_bone == "mixamorig:Hips"
    assert result["warnings"] == []
    check_result(result, obj, motion, frames)
    # again, onto the now animated rig: its animation must not confuse the rig probe
    again = retarget_module.retarget_onto(bpy.context, obj, joints, frames, fps,
                                          contacts=contacts)  # fmt: skip
    assert again["previous_action"] == result["action"].name
    check_result(again, obj, motion, frames)


def test_retarget_onto_an_odd_custom_armature(addon, retarget_module, motion):
    joints, contacts, lengths, fps = motion
    fresh_scene()
    offset = (1.5, -2.0, 0.0)
    obj = build_style(rigs.CUSTOM, target_points(lengths, 1.25, 20.0), "Odd", location=offset)
    muted = obj.pose.bones["L_Shin"].constraints.new("IK")
    muted.mute = True
    obj.pose.bones["R_Calf"].constraints.new("IK").influence = 0.0
    previous = bpy.data.actions.new("UserAction")
    obj.animation_data_create().action = previous
    frames = np.arange(1, FRAMES + 1, dtype=np.float64)
    result = retarget_module.retarget_onto(bpy.context, obj, joints, frames, fps,
                                           contacts=contacts, root_motion="object")  # fmt: skip
    assert result["previous_action"] == "UserAction" and previous.use_fake_user
    assert result["warnings"] == []  # muted or zero-influence IK does not override
    assert result["action"] != previous and obj.animation_data.action == result["action"]
    check_result(result, obj, motion, frames, offset=offset)


def test_unreal_ik_bones_follow_the_feet(addon, retarget_module, motion):
    """An Unreal-mannequin-style rig's ik_foot_l/r (for the game engine's foot IK) are keyed to
    stay on foot_l/r as in the rest pose, with root motion on the root bone they hang from."""
    joints, contacts, lengths, fps = motion
    fresh_scene()
    obj = build_style(rigs.UNREAL, target_points(lengths, 1.0, 10.0), "UE")
    frames = np.arange(1, 61, dtype=np.float64)
    out = retarget_module.retarget_onto(bpy.context, obj, joints[:60], frames, fps,
                                        contacts=contacts[:60], root_motion="root")  # fmt: skip
    assert out["bonemap"].bones["foot.L"] == "foot_l"
    assert not any("ik_foot" in b for b in out["motion"].bones)
    assert_keyed_every_frame(obj, out["action"], ["ik_foot_l", "ik_foot_r"], frames)
    pose, bones = obj.pose.bones, obj.data.bones
    for f in (1, 23, 60):
        bpy.context.scene.frame_set(f)
        for s in "lr":
            foot, ik = pose[f"foot_{s}"], pose[f"ik_foot_{s}"]
            offset = bones[f"foot_{s}"].matrix_local.inverted() @ bones[f"ik_foot_{s}"].matrix_local
            gap = np.abs(np.array(foot.matrix @ offset) - np.array(ik.matrix)).max()
            assert gap < 1e-4, (f, s, gap)
        assert (pose["root"].head - obj.data.bones["root"].head_local).length > 0.01 or f == 1


def test_unmappable_armature_raises_and_writes_nothing(addon, retarget_module, motion):
    joints, _, lengths, fps = motion
    fresh_scene()
    chain = [("Bone", None, "pelvis", "spine", 0.0), ("Bone.001", "Bone", "spine", "thorax", 0.0)]
    obj = build_style(chain, target_points(lengths, 1.0, 0.0), "Snake")
    from lift_mocap.lifting.errors import RigMappingError

    obj.pose.bones["Bone"]["IK_FK"] = 0.0  # a Rigify-like switch must stay as it was
    before = set(bpy.data.actions)
    with pytest.raises(RigMappingError, match=r"thigh\.L"):
        retarget_module.retarget_onto(bpy.context, obj, joints, np.arange(FRAMES), fps)
    assert set(bpy.data.actions) == before
    assert obj.pose.bones["Bone"]["IK_FK"] == 0.0


def slot_map(settings):
    from lift_mocap.lifting.retarget.bonemap import BoneMap

    return BoneMap({s.role: s.bone for s in settings.bones if s.bone})


def test_operator_moves_a_lift_armature_onto_a_mixamo_rig(registered, mocap_dir, tmp_path):
    from blender_helpers import mocap_result
    from lift_mocap.scene.apply import ApplySettings, apply_result
    from lift_mocap.scene.retarget_apply import source_joints

    result = mocap_result(mocap_dir, frames=FRAMES)
    source = apply_result(bpy.context, result, ApplySettings(camera=False))["armature"]
    joints = np.asarray(result.motion.joints, dtype=np.float64)
    read_back, frames = source_joints(source)
    assert len(frames) == FRAMES
    from lift_mocap.scene.retarget_apply import CONTACTS_PROP, source_contacts

    assert np.array_equal(source_contacts(source, FRAMES), result.motion.contacts)  # apply stores
    del source[CONTACTS_PROP]
    assert source_contacts(source, FRAMES) is None
    stored = detect_contacts(joints, 30.0)[1]
    source[CONTACTS_PROP] = stored.ravel().astype(int).tolist()
    assert np.array_equal(source_contacts(source, FRAMES), stored)
    assert source_contacts(source, FRAMES - 1) is None
    assert np.abs(read_back - joints).max() < 0.005
    target = build_style(rigs.MIXAMO, target_points(median_lengths(joints), 1.0, 30.0), "Mixamo")
    settings = bpy.context.scene.lift.retarget
    settings.source, settings.target = source, target
    assert bpy.ops.lift.retarget_automap() == {"FINISHED"}
    rows = {s.role: s.bone for s in settings.bones}
    assert rows["thigh.L"] == "mixamorig:LeftUpLeg" and rows["toe.R"] == "mixamorig:RightToeBase"
    # the user edits the map: no toes; the preset keeps the edit
    for slot in settings.bones:
        if slot.role.startswith("toe."):
            slot.bone = ""
    preset = tmp_path / "mixamo.json"
    assert bpy.ops.lift.retarget_preset_save(filepath=str(preset)) == {"FINISHED"}
    settings.bones.clear()
    assert bpy.ops.lift.retarget_preset_load(filepath=str(preset)) == {"FINISHED"}
    assert "toe.L" not in slot_map(settings).bones
    assert slot_map(settings).bones["hips"] == "mixamorig:Hips"
    assert bpy.ops.lift.retarget() == {"FINISHED"}
    action = target.animation_data.action
    from lift_mocap.scene import compat

    paths = {c.data_path for c in compat.action_fcurves(action, target)}
    assert 'pose.bones["mixamorig:LeftUpLeg"].rotation_quaternion' in paths
    assert not any("Toe" in p for p in paths)
    contacts = detect_contacts(joints, 30.0)[1]
    fake = {"bonemap": slot_map(settings), "action": action}
    from lift_mocap.lifting.retarget.transfer import retarget
    from lift_mocap.scene.rig_read import read_rig

    fake["motion"] = retarget(read_back, read_rig(target), fake["bonemap"], foot_lock=False)
    check_result(fake, target, (joints, contacts), frames)


def test_operator_reports_an_unmappable_target_and_creates_nothing(registered, mocap_dir):
    from blender_helpers import mocap_result
    from lift_mocap.scene.apply import ApplySettings, apply_result

    result = mocap_result(mocap_dir, frames=30)
    source = apply_result(bpy.context, result, ApplySettings(camera=False))["armature"]
    chain = [("Bone", None, "pelvis", "spine", 0.0), ("Bone.001", "Bone", "spine", "thorax", 0.0)]
    lengths = median_lengths(np.asarray(result.motion.joints))
    snake = build_style(chain, target_points(lengths, 1.0, 0.0), "Snake")
    settings = bpy.context.scene.lift.retarget
    settings.source, settings.target = source, snake
    before = sorted(a.name for a in bpy.data.actions)
    with pytest.raises(RuntimeError, match="cannot be mapped"):
        bpy.ops.lift.retarget()
    assert sorted(a.name for a in bpy.data.actions) == before
    settings.source = snake  # not a Lift armature
    settings.target = source
    with pytest.raises(RuntimeError, match="not an armature made by Lift"):
        bpy.ops.lift.retarget()


def test_linked_armature_gets_a_library_override(addon, retarget_module, motion, tmp_path):
    joints, _, lengths, fps = motion
    fresh_scene()
    obj = build_style(rigs.MIXAMO, target_points(lengths, 1.0, 0.0), "LinkedHero")
    library = tmp_path / "hero.blend"
    bpy.data.libraries.write(str(library), {obj})
    fresh_scene()
    with bpy.data.libraries.load(str(library), link=True) as (_, dst):
        dst.objects = ["LinkedHero"]
    linked = dst.objects[0]
    bpy.context.scene.collection.objects.link(linked)
    assert linked.library is not None
    frames = np.arange(1, 31, dtype=np.float64)
    out = retarget_module.retarget_onto(bpy.context, linked, joints[:30], frames, fps)
    target = out["object"]
    assert target is not linked and target.library is None
    assert target.override_library is not None
    assert target.animation_data.action == out["action"]
    assert linked.animation_data is None or linked.animation_data.action is None


def test_panel_shows_the_options_and_the_editable_map(registered, motion):
    from layout_recorder import draw_panel
    from lift_mocap.lifting.retarget.bonemap import ROLES
    from lift_mocap.panels.retarget import LIFT_PT_retarget

    _, _, lengths, _ = motion
    calls = draw_panel(LIFT_PT_retarget, bpy.context)
    props = [c[1] for c in calls if c[0] == "prop"]
    assert props == ["source", "target", "root_motion", "foot_lock"]
    ops = [c[1] for c in calls if c[0] == "operator"]
    assert "lift.retarget" in ops and "lift.retarget_automap" in ops
    assert {"lift.retarget_preset_save", "lift.retarget_preset_load"} <= set(ops)
    settings = bpy.context.scene.lift.retarget
    settings.target = build_style(rigs.UNREAL, target_points(lengths, 1.0, 0.0), "UE")
    assert bpy.ops.lift.retarget_automap() == {"FINISHED"}
    calls = draw_panel(LIFT_PT_retarget, bpy.context)
    assert [c[1] for c in calls if c[0] == "prop"].count("bone") == len(ROLES)
    settings.show_map = False
    calls = draw_panel(LIFT_PT_retarget, bpy.context)
    assert [c[1] for c in calls if c[0] == "prop"].count("bone") == 0


def test_rigify_metarig_as_shipped_is_mapped(addon):
    import addon_utils
    from lift_mocap.lifting.retarget.bonemap import auto_map
    from lift_mocap.scene.rig_read import read_rig

    fresh_scene()
    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_human_metarig_add()
    bones = auto_map(read_rig(bpy.context.object)).bones
    assert bones["hips"] == "spine" and bones["head"] == "spine.006"
    assert bones["neck"] == "spine.004" and bones["chest"] in ("spine.002", "spine.003")
    for s in "LR":
        for part in ("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe"):
            assert bones[f"{part}.{s}"] == f"{part}.{s}"


def test_live_ik_constraints_on_keyed_bones_are_reported(addon, retarget_module, motion):
    _, _, lengths, _ = motion
    fresh_scene()
    obj = build_style(rigs.MIXAMO, target_points(lengths, 1.0, 0.0), "IKRig")
    ik = obj.pose.bones["mixamorig:LeftLeg"].constraints.new("IK")
    ik.name = "Leg IK"
    got = retarget_module.ik_overrides(obj, ["mixamorig:LeftLeg", "mixamorig:RightLeg"])
    assert got == ["'mixamorig:LeftLeg' has IK constraint 'Leg IK'"]
    ik.mute = True
    assert retarget_module.ik_overrides(obj, ["mixamorig:LeftLeg"]) == []


def sample_result(mocap_dir, motion):
    """A PipelineResult whose motion is the sample clip's ground truth with its contacts."""
    from dataclasses import replace

    from blender_helpers import mocap_result

    joints, contacts, _, fps = motion
    result = mocap_result(mocap_dir, frames=FRAMES)
    result.motion = replace(
        result.motion,
        joints=joints[:FRAMES].astype(np.float32),
        root=joints[:FRAMES, J["pelvis"]].astype(np.float32),
        contacts=contacts[:FRAMES],
        fps=fps,
    )
    return result


def test_lift_video_result_goes_onto_the_target_rig(registered, mocap_dir, motion):
    """apply_result (the Lift Video button's and the batch's one path) with a target rig: the
    Lift armature as before, and the motion retargeted onto the user's Mixamo rig."""
    from lift_mocap.scene.apply import ApplySettings, apply_result
    from lift_mocap.scene.retarget_apply import source_contacts

    _, contacts, lengths, _ = motion
    hero = build_style(rigs.MIXAMO, target_points(lengths, 0.9, 40.0), "Hero")
    settings = ApplySettings(camera=False, target_rig="Hero", retarget_root="object")
    made = apply_result(bpy.context, sample_result(mocap_dir, motion), settings)
    out, lift_arm = made["retarget"], made["armature"]
    assert out["object"] == hero and lift_arm != hero
    assert hero.animation_data.action == out["action"] != made["action"]
    assert np.array_equal(source_contacts(lift_arm, FRAMES), contacts[:FRAMES])
    assert out["motion"].location_bone is None  # root motion on the armature object
    assert bpy.context.view_layer.objects.active == hero
    frames = np.arange(1, FRAMES + 1, dtype=np.float64)
    check_result(out, hero, motion, frames)  # positions, keys on every frame, no foot slide


def test_lift_video_with_an_unmappable_target_rig_makes_nothing(registered, mocap_dir, motion):
    from blender_helpers import data_snapshot
    from lift_mocap.lifting.errors import RigMappingError, TargetRigNotFoundError
    from lift_mocap.scene.apply import ApplySettings, apply_result

    _, _, lengths, _ = motion
    result = sample_result(mocap_dir, motion)
    chain = [("Bone", None, "pelvis", "spine", 0.0), ("Bone.001", "Bone", "spine", "thorax", 0.0)]
    build_style(chain, target_points(lengths, 1.0, 0.0), "Snake")
    hero = build_style(rigs.MIXAMO, target_points(lengths, 1.0, 0.0), "Hero")
    before = data_snapshot()
    with pytest.raises(RigMappingError, match=r"'Snake' cannot be mapped.*thigh\.L: no bone"):
        apply_result(bpy.context, result, ApplySettings(target_rig="Snake"))
    with pytest.raises(TargetRigNotFoundError, match="'Nobody'"):
        apply_result(bpy.context, result, ApplySettings(target_rig="Nobody"))
    # a map from the sidebar that names a bone the rig lacks; root motion on a missing root
    bones = (("hips", "mixamorig:Hips"), ("thigh.L", "Thigh_L"))
    with pytest.raises(RigMappingError, match="no bone 'Thigh_L'"):
        apply_result(bpy.context, result, ApplySettings(target_rig="Hero", retarget_bones=bones))
    with pytest.raises(RigMappingError, match="no root bone"):
        apply_result(bpy.context, result, ApplySettings(target_rig="Hero", retarget_root="root"))
    assert data_snapshot() == before
    assert hero.animation_data is None


def test_lift_video_button_refuses_an_unmappable_target_rig_at_once(registered, motion):
    """The button checks the target rig before it starts the lift: no job, nothing made."""
    from blender_helpers import data_snapshot
    from lift_mocap.scene import jobs

    _, _, lengths, _ = motion
    chain = [("Bone", None, "pelvis", "spine", 0.0), ("Bone.001", "Bone", "spine", "thorax", 0.0)]
    props = bpy.context.scene.lift
    props.video_path = str(SAMPLE.with_suffix(".mp4"))
    props.target_rig = build_style(chain, target_points(lengths, 1.0, 0.0), "Snake")
    before, job = data_snapshot(), jobs.current()
    with pytest.raises(RuntimeError, match=r"'Snake' cannot be mapped.*thigh\.L: no bone"):
        bpy.ops.lift.video()
    assert jobs.current() is job and data_snapshot() == before


def test_a_retarget_failing_after_the_check_removes_the_lift_armature(
    registered, mocap_dir, motion, monkeypatch
):
    """All or nothing: a failure inside the retarget (here Blender refusing a library override,
    raised where retarget_onto would raise it) removes the new armature and action again."""
    from blender_helpers import data_snapshot
    from lift_mocap.lifting.errors import LinkedRigError
    from lift_mocap.scene import apply

    def refuse(context, target, *args, **kwargs):
        raise LinkedRigError(f"Armature {target.name!r} could not be overridden")

    _, _, lengths, _ = motion
    result = sample_result(mocap_dir, motion)
    build_style(rigs.MIXAMO, target_points(lengths, 1.0, 0.0), "Hero")
    before = data_snapshot()
    monkeypatch.setattr(apply, "retarget_onto", refuse)
    with pytest.raises(LinkedRigError, match="'Hero'"):
        apply.apply_result(bpy.context, result, apply.ApplySettings(target_rig="Hero"))
    assert data_snapshot() == before


def test_sidebar_target_rig_reaches_the_apply_settings(registered, motion):
    from layout_recorder import draw_panel
    from lift_mocap.operators.retarget import fill_slots
    from lift_mocap.operators.video import apply_settings
    from lift_mocap.scene.rig_read import read_rig

    _, _, lengths, _ = motion
    props = bpy.context.scene.lift
    assert apply_settings(props).target_rig == ""
    hero = build_style(rigs.MIXAMO, target_points(lengths, 1.0, 0.0), "Hero")
    other = build_style(rigs.UNREAL, target_points(lengths, 1.0, 0.0), "Other")
    props.target_rig = hero
    assert ("prop", "target_rig") in draw_panel(bpy.types.LIFT_PT_main, bpy.context)
    got = apply_settings(props)
    assert got.target_rig == "Hero" and got.retarget_bones == ()  # automatic map
    rt = props.retarget
    rt.target, rt.root_motion, rt.foot_lock = hero, "object", False
    from lift_mocap.lifting.retarget.bonemap import auto_map

    fill_slots(rt.bones, auto_map(read_rig(hero)))
    got = apply_settings(props)
    assert dict(got.retarget_bones)["thigh.L"] == "mixamorig:LeftUpLeg"
    assert got.retarget_root == "object" and got.retarget_foot_lock is False
    rt.target = other  # the panel's map is for another rig: not used
    assert apply_settings(props).retarget_bones == ()


def test_batch_target_rig_needs_a_blend_and_a_mappable_rig(registered, tmp_path, motion):
    """batch.py --blend FILE --target-rig NAME: a missing or unmappable rig fails that video
    before the lift runs, with the reason in its report; the .blend is only read."""
    import json

    from blender_helpers import write_video
    from lift_mocap.scene import batch

    _, _, lengths, _ = motion
    video = write_video(tmp_path / "clip.mp4", frames=10)
    with pytest.raises(SystemExit) as exit_info:
        batch.run([str(video), "--out", str(tmp_path / "o"), "--target-rig", "Hero"])
    assert exit_info.value.code == 2
    chain = [("Bone", None, "pelvis", "spine", 0.0), ("Bone.001", "Bone", "spine", "thorax", 0.0)]
    build_style(chain, target_points(lengths, 1.0, 0.0), "Snake")
    build_style(rigs.MIXAMO, target_points(lengths, 1.0, 0.0), "Hero")
    blend = tmp_path / "characters.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    stamp = blend.stat().st_mtime_ns
    for name, error in (("Nobody", "no armature 'Nobody'"), ("Snake", "cannot be mapped")):
        out = tmp_path / name
        args = [str(video), "--out", str(out), "--blend", str(blend), "--target-rig", name]
        assert batch.run(args) == 1
        report = json.loads((out / "clip.report.json").read_text())
        assert report["status"] == "failed" and error in report["error"], report
        assert not (out / "clip.blend").exists()
    assert blend.stat().st_mtime_ns == stamp
    assert "Hero" in bpy.data.objects  # the scene is the loaded --blend


def assert_keyed_every_frame(obj, action, bones, frames):
    from lift_mocap.scene import compat

    curves = {(c.data_path, c.array_index): c for c in compat.action_fcurves(action, obj)}
    for bone in bones:
        for i in range(4):
            curve = curves[(f'pose.bones["{bone}"].rotation_quaternion', i)]
            co = np.empty(2 * len(curve.keyframe_points))
            curve.keyframe_points.foreach_get("co", co)
            assert np.array_equal(co[::2], frames) and np.isfinite(co).all(), bone


@pytest.mark.slow
def test_lift_video_button_on_the_sample_clip_with_a_target_rig(registered, motion):
    """The real pipeline (MediaPipe, bundled lifter) through bpy.ops.lift.video with the
    sidebar's target rig: the new Lift armature, and the Mixamo rig keyed on every frame."""
    from lift_mocap.lifting.retarget.bonemap import auto_map
    from lift_mocap.scene.rig_read import read_rig

    _, _, lengths, _ = motion
    hero = build_style(rigs.MIXAMO, target_points(lengths, 1.0, 30.0), "Hero")
    props = bpy.context.scene.lift
    props.video_path = str(SAMPLE.with_suffix(".mp4"))
    props.target_rig = hero
    assert bpy.ops.lift.video() == {"FINISHED"}
    scene = bpy.context.scene
    frames = np.arange(scene.frame_start, scene.frame_end + 1, dtype=np.float64)
    assert len(frames) > 100
    lift_arm = next(o for o in bpy.data.objects if o.type == "ARMATURE" and o != hero)
    assert lift_arm.animation_data.action is not None
    action = hero.animation_data.action
    assert action.name == "Hero_Lift"
    assert_keyed_every_frame(hero, action, auto_map(read_rig(hero)).bones.values(), frames)


@pytest.mark.slow
def test_batch_on_the_sample_clip_with_a_target_rig(registered, tmp_path, motion):
    """batch.py --blend FILE --target-rig NAME on the sample clip, as a subprocess."""
    import json
    import subprocess
    import sys

    from lift_mocap.lifting.retarget.bonemap import auto_map
    from lift_mocap.scene.rig_read import read_rig

    _, _, lengths, _ = motion
    build_style(rigs.MIXAMO, target_points(lengths, 1.0, 30.0), "Hero")
    blend = tmp_path / "hero.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "out"
    args = [SAMPLE.with_suffix(".mp4"), "--out", out, "--blend", blend, "--target-rig", "Hero"]
    done = subprocess.run(
        [sys.executable, str(root / "batch.py"), "--", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "walk.report.json").read_text())
    assert report["target_rig"] == "Hero" and report["target_action"] == "Hero_Lift"
    bpy.ops.wm.open_mainfile(filepath=str(out / "walk.blend"), load_ui=False)
    hero = bpy.data.objects["Hero"]
    frames = np.arange(1, report["frames"] + 1, dtype=np.float64)
    bones = auto_map(read_rig(hero)).bones.values()
    assert_keyed_every_frame(hero, hero.animation_data.action, bones, frames)
