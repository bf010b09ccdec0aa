"""Scene-tier fixtures: a pipeline result made from real mocap (ground-truth world motion).

apply_result turns ANY PipelineResult into Blender data; feeding it known motion lets the
tests compare what Blender evaluates with the joints that went in.
"""

from __future__ import annotations

import pytest
from blender_helpers import mocap_result


@pytest.fixture
def gt_result(mocap_dir):
    return mocap_result(mocap_dir)


@pytest.fixture
def empty_scene(addon):
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context
