# SPDX-License-Identifier: GPL-3.0-or-later
"""Lift videos headless: ``<name>.blend``, ``<name>.bvh`` and ``<name>.report.json`` per video.

Either with Blender::

    blender -b --factory-startup --python-exit-code 1 --python batch.py -- INPUT --out DIR [options]

or with the ``bpy`` module::

    python batch.py -- INPUT --out DIR [options]

INPUT is a video, a folder of numbered images or a folder of videos; ``--help`` after ``--``
lists the options. ``--blend FILE --target-rig NAME`` also retargets each result onto the
armature NAME of your .blend (docs/retarget.md). The exit code is 0 only if every video was
lifted. This runs the same code as the Lift Video button (``scene/batch.py``).
"""

import importlib.util
import sys
from pathlib import Path

PACKAGE = "lift_mocap"


def import_extension():
    """This extension as a package, imported by path (no ``sys.path`` change)."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    root = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(
        PACKAGE, root / "__init__.py", submodule_search_locations=[str(root)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module


def script_arguments(argv: list[str]) -> list[str]:
    """The arguments after ``--`` (Blender passes its own before it); all of them without."""
    return argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]


def main() -> int:
    import_extension()
    batch = importlib.import_module(f"{PACKAGE}.scene.batch")
    return batch.run(script_arguments(sys.argv))


if __name__ == "__main__":
    sys.exit(main())
