"""Entry point of a keypoint worker process, run by path (``runpy.run_path``) by parallel.py.

A ``spawn``-ed process finds its target by module name. Inside Blender that name is
``bl_ext.<repo>.lift_mocap.lifting.keypoints.parallel``, whose import would run the add-on's
``__init__`` (which needs ``bpy``, absent from a plain Python process); in the tests it is
``lift_mocap.lifting...``, which a new process cannot find at all. So the worker starts here
instead, loads this ``lifting`` folder as the top-level package ``lifting`` (it imports
nothing outside itself; no ``sys.path`` change) and calls
:func:`lifting.keypoints.parallel.worker_main` with plain-data arguments.
``LIFTING_DIR`` and ``WORKER_ARGS`` are set by parallel.py through ``init_globals``.
"""

import importlib
import importlib.util
import sys
from pathlib import Path


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
    load_lifting(globals()["LIFTING_DIR"])
    importlib.import_module("lifting.keypoints.parallel").worker_main(*globals()["WORKER_ARGS"])
