"""A stand-in for ``bpy.types.UILayout`` (which cannot be created without a window).

Headless ``bpy`` has no window to draw into, so panel tests call ``Panel.draw`` with this
recorder in a real ``bpy.context``. Every ``prop`` call is checked against the real RNA of the
data it names, so a misspelt or missing property fails the test as it would fail in Blender.
"""

from __future__ import annotations


class LayoutRecorder:
    def __init__(self, calls=None):
        self.calls = [] if calls is None else calls
        self.use_property_split = False
        self.use_property_decorate = True
        self.enabled = True
        self.active = True
        self.alert = False
        self.scale_y = 1.0

    def _sub(self, *args, **kwargs):
        return LayoutRecorder(self.calls)

    column = row = box = split = column_flow = grid_flow = _sub

    def panel(self, idname, default_closed=False):
        sub = LayoutRecorder(self.calls)
        return sub, sub

    def prop(self, data, prop, **kwargs):
        rna = data.bl_rna.properties
        if prop not in rna:
            raise AttributeError(f"{data.bl_rna.identifier} has no property {prop!r}")
        self.calls.append(("prop", prop))

    def operator(self, idname, **kwargs):
        import bpy

        category, name = idname.split(".")
        getattr(getattr(bpy.ops, category), name).get_rna_type()  # raises if unregistered
        self.calls.append(("operator", idname))
        return type("OperatorProperties", (), {})()

    def label(self, text="", **kwargs):
        self.calls.append(("label", text))

    def progress(self, factor=0.0, type="BAR", text=""):
        self.calls.append(("progress", factor, text))

    def separator(self, **kwargs):
        pass

    def template_list(self, *args, **kwargs):
        self.calls.append(("template_list", args[0]))

    def prop_search(self, data, prop, search_data, search_prop, **kwargs):
        self.prop(data, prop)


def draw_panel(panel_cls, context):
    """Run ``panel_cls.draw`` with a recorder; returns the recorded calls."""
    layout = LayoutRecorder()
    panel = type("PanelInstance", (), {"layout": layout, "bl_idname": panel_cls.bl_idname})()
    if hasattr(panel_cls, "poll") and not panel_cls.poll(context):
        return []
    panel_cls.draw(panel, context)
    return layout.calls
