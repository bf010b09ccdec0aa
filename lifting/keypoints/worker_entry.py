"""Entry point of a keypoint worker process, run by path (``runpy.run_path``) by parallel.py.

A ``spawn``-ed process finds its target by module name. Inside Blender that name is
``bl_ext.<repo>.lift_mocap.lifting.keypoints.parallel``, whose import would run the add-on's
``__init__`` (which needs ``bpy``, absent from a plain Python process); in the tests it is
``lift_mocap.lifting...``, which a new process cannot find at all. So the worker starts here
instead, loads this ``lifting`` folder as the top-level package ``lifting`` (it imports
nothing outside itself; no ``sys.path`` change) and calls
:func:`lifting.keypoints.parallel.worker_main` with plain-data arguments.
``LIFTING_DIR`` and ``WORKER_ARGS`` are set by parallel.py through ``init_globals``.

Before that it defers two imports a worker never uses (:func:`defer_imports`): ``import
mediapipe`` imports ``solutions.drawing_utils``, which imports ``matplotlib.pyplot`` for a
plotting helper, and the Tasks API's audio recorder, which imports ``sounddevice`` (it loads
PortAudio). Together they were 0.3 of the 0.55 CPU-s a worker spent before its first frame
(docs/benchmarks.md ## Keypoints).
"""

import importlib
import importlib.util
import sys
import types
from pathlib import Path

# Each group: a package, then its submodules (so "import a.b as c" binds stand-ins throughout).
DEFERRED = (("matplotlib", "matplotlib.pyplot"), ("sounddevice",))


def defer_imports(groups: tuple[tuple[str, ...], ...] = DEFERRED) -> None:
    """Put stand-ins for each group's modules in ``sys.modules``, imported on first use.

    ``import matplotlib.pyplot as plt`` then binds a stand-in at once. The first attribute
    read from a stand-in removes its group's stand-ins and imports the real module, so code
    that does use it still works, only later. A group of which a module is already imported
    is left alone.
    """
    for names in groups:
        if not any(name in sys.modules for name in names):
            _defer_group(names)


def _defer_group(names: tuple[str, ...]) -> None:
    stand_ins: dict[str, types.ModuleType] = {}

    def resolve(name: str) -> types.ModuleType:
        for other, stand_in in stand_ins.items():
            if sys.modules.get(other) is stand_in:
                del sys.modules[other]
        return importlib.import_module(name)

    for name in names:
        stand_in = types.ModuleType(name, f"Stand-in for {name}, imported on first use.")
        stand_in.__getattr__ = lambda attr, name=name: getattr(resolve(name), attr)
        parent, _, child = name.rpartition(".")
        if parent in stand_ins:
            setattr(stand_ins[parent], child, stand_in)
        stand_ins[name] = sys.modules[name] = stand_in


def load_lifting(directory: str):
    """The package in ``directory`` as the top-level module ``lifting`` (reused if loaded)."""
    loaded = sys.modules.get("lifting")
    if loaded is not None and Path(loaded.__file__).resolve().parent == Path(directory).resolve():
        return loaded
    spec = importlib.util.spec_from_file_location(
        "lifting", Path(directory) / "__init__.py", submodule_search_locations=[directory]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["lifting"] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "lift_keypoints_worker":
    defer_imports()
    load_lifting(globals()["LIFTING_DIR"])
    importlib.import_module("lifting.keypoints.parallel").worker_main(*globals()["WORKER_ARGS"])
