"""The sidebar's "Adapt to This Video" without PyTorch (the packaged extension): greyed out
with a note, and Lift Video refuses it at once instead of failing after detection."""

import bpy
import pytest
from blender_helpers import data_snapshot


@pytest.fixture
def no_torch(registered, monkeypatch):
    import lift_mocap.operators.video as video_op
    import lift_mocap.panels.main as panel

    monkeypatch.setattr(video_op, "torch_available", lambda: False)
    monkeypatch.setattr(panel, "torch_available", lambda: False)


def test_panel_notes_that_adapting_needs_pytorch(no_torch):
    from layout_recorder import draw_panel

    calls = draw_panel(bpy.types.LIFT_PT_main, bpy.context)
    assert ("prop", "adapt_to_video") in calls
    assert any(c[0] == "label" and "PyTorch" in c[1] for c in calls)


def test_panel_has_no_note_when_pytorch_is_there(registered):
    from layout_recorder import draw_panel

    calls = draw_panel(bpy.types.LIFT_PT_main, bpy.context)
    assert not any(c[0] == "label" and "PyTorch" in c[1] for c in calls)


def test_lift_video_refuses_adapting_without_pytorch(no_torch, tmp_path):
    from lift_mocap.scene import jobs

    props = bpy.context.scene.lift
    props.video_path = str(tmp_path / "any.mp4")
    props.adapt_to_video = True
    before = data_snapshot()
    try:
        with pytest.raises(RuntimeError, match="PyTorch"):
            bpy.ops.lift.video()
    finally:
        props.adapt_to_video = False
    assert data_snapshot() == before
    assert jobs.running() is None
