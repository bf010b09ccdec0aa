"""Shared test set-up.

The repository root is the extension package. Inside Blender its name is
``bl_ext.<repo>.lift_mocap``; here we import it under the name ``lift_mocap`` so relative
imports work exactly as they do in Blender (``from lift_mocap.scene import compat``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADDON_NAME = "lift_mocap"
DATA = ROOT / "tests" / "data"
MOCAP = ROOT.parent / "shared" / "mocap"


def import_addon():
    """Import the repository root as the package ``lift_mocap`` (needs the ``bpy`` module)."""
    if ADDON_NAME in sys.modules:
        return sys.modules[ADDON_NAME]
    spec = importlib.util.spec_from_file_location(
        ADDON_NAME, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[ADDON_NAME] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def addon():
    """The extension package, imported (not registered)."""
    return import_addon()


@pytest.fixture
def registered(addon):
    """The extension registered in a factory-fresh ``bpy`` session; unregistered afterwards."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon.register()
    try:
        yield addon
    finally:
        addon.unregister()


@pytest.fixture(scope="session")
def mocap_dir():
    if not MOCAP.is_dir():
        pytest.skip(f"shared mocap not found at {MOCAP}")
    return MOCAP


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small networks: one torch thread for the module (two spin-wait on a shared 2-core
    machine); the previous setting is restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
