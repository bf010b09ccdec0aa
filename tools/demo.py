"""The README's main job: what the pipeline can do so far, on the bundled sample.

Grows with the pipeline; it ends as the headless batch run over tests/data/sample.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))  # the test helper that imports the extension
    from conftest import import_addon

    addon = import_addon()
    addon.register()
    import bpy

    print(f"Lift registered in Blender {bpy.app.version_string}; sidebar tab 'Lift' ready.")
    addon.unregister()
    return 0


if __name__ == "__main__":
    sys.exit(main())
