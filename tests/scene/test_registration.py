"""The extension registers, unregisters and registers again cleanly; the panel draws."""

import bpy


def lift_classes():
    """Names of registered LIFT_ classes (PropertyGroups are not listed in bpy.types)."""
    names = {n for n in dir(bpy.types) if n.startswith("LIFT_")}
    for base in (bpy.types.PropertyGroup, bpy.types.AddonPreferences):
        names |= {
            c.__name__
            for c in base.__subclasses__()
            if c.__name__.startswith("LIFT_") and c.is_registered
        }
    return sorted(names)


def test_register_unregister_register(addon):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    before = lift_classes()
    assert before == []
    addon.register()
    registered = lift_classes()
    assert "LIFT_PT_main" in registered and "LIFT_PG_settings" in registered
    assert hasattr(bpy.types.Scene, "lift")
    addon.unregister()
    assert lift_classes() == []
    assert not hasattr(bpy.types.Scene, "lift")
    addon.register()
    assert lift_classes() == registered
    addon.unregister()
    assert lift_classes() == []


def test_settings_live_on_the_scene(registered):
    scene = bpy.context.scene
    scene.lift.video_path = "/tmp/clip.mp4"
    assert scene.lift.video_path == "/tmp/clip.mp4"
    assert scene.lift.frame_end == 0


def test_panel_draws_in_a_real_context(registered):
    """Headless bpy has no window, so draw into a recorder that checks every property name."""
    from layout_recorder import draw_panel

    panel_cls = bpy.types.LIFT_PT_main
    assert panel_cls.bl_category == "Lift" and panel_cls.bl_space_type == "VIEW_3D"
    calls = draw_panel(panel_cls, bpy.context)
    assert ("prop", "video_path") in calls
