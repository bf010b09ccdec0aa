"""The Action shim: branch choice for 4.2 / 4.4 / 5.0, and the branch this Blender takes."""

import bpy
import pytest


def test_fcurve_owner_accepts_new_curves(addon):
    from lift_mocap.scene import compat

    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = bpy.data.objects.new("Thing", None)
    bpy.context.scene.collection.objects.link(obj)
    action = bpy.data.actions.new("ThingAction")
    obj.animation_data_create().action = action
    owner = compat.fcurve_owner(action, obj)
    fc = owner.fcurves.new("location", index=2)
    fc.keyframe_points.add(2)
    fc.keyframe_points.foreach_set("co", [1.0, 0.0, 5.0, 2.0])
    fc.update()
    bpy.context.scene.frame_set(5)
    assert abs(obj.location.z - 2.0) < 1e-6
    assert compat.has_slotted_actions() == (bpy.app.version >= (4, 4, 0))
    assert not hasattr(action, "fcurves") or bpy.app.version < (5, 0, 0)


@pytest.mark.parametrize(
    ("has_slots", "has_fcurves", "branch", "blender"),
    [
        (False, True, "flat", "4.2 / 4.3: F-curves on the action"),
        (True, True, "slotted", "4.4 / 4.5: slots, Action.fcurves still a legacy proxy"),
        (True, False, "channelbag", "5.0: Action.fcurves removed"),
    ],
)
def test_branch_choice(addon, has_slots, has_fcurves, branch, blender):
    from lift_mocap.scene import compat

    assert compat.choose_action_api(has_slots, has_fcurves) == branch, blender


def test_this_blender_takes_the_expected_branch(addon):
    from lift_mocap.scene import compat

    expected = "flat" if bpy.app.version < (4, 4) else "slotted"
    if bpy.app.version >= (5, 0):
        expected = "channelbag"
    assert compat.action_api() == expected


def test_slotted_branches_use_channelbags_not_action_fcurves(addon):
    """The slotted and channelbag branches write through the slot's channelbag, so data written
    on 4.4 (which still has the legacy proxy) is laid out exactly as on 5.0."""
    from lift_mocap.scene import compat

    if compat.action_api() == compat.FLAT:
        pytest.skip("flat actions have no channelbags")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = bpy.data.objects.new("Thing", None)
    bpy.context.scene.collection.objects.link(obj)
    action = bpy.data.actions.new("A")
    compat.assign_action(obj, action)
    owner = compat.fcurve_owner(action, obj)
    assert isinstance(owner, bpy.types.ActionChannelbag)
    assert obj.animation_data.action_slot is not None
    fc = compat.new_fcurve(owner, "location", 1, group="Object Transforms")
    assert fc.group.name == "Object Transforms"
    assert compat.action_fcurves(action, obj) == [fc]
    assert compat.action_fcurves(action) == [fc]


def test_two_objects_share_an_action_through_two_slots(addon):
    from lift_mocap.scene import compat
    from lift_mocap.scene.keyframes import write_plan

    bpy.ops.wm.read_factory_settings(use_empty=True)
    a = bpy.data.objects.new("A", None)
    b = bpy.data.objects.new("B", None)
    for o in (a, b):
        bpy.context.scene.collection.objects.link(o)
    action = bpy.data.actions.new("Shared")
    write_plan(action, a, {("location", 0): [[1, 1.0]]})
    write_plan(action, b, {("location", 0): [[1, 2.0]]})
    bpy.context.scene.frame_set(1)
    assert (a.location.x, b.location.x) == (1.0, 2.0)
    if compat.action_api() != compat.FLAT:
        assert a.animation_data.action_slot != b.animation_data.action_slot
        assert len(compat.action_fcurves(action)) == 2
