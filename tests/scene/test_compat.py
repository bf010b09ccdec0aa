"""The Action shim returns something that owns F-curves on this Blender."""

import bpy


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
