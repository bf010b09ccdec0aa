"""lifting/ must run without Blender: no module under it may import Blender's modules."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"bpy", "mathutils", "bmesh", "bpy_extras"}


def blender_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def test_lifting_never_imports_blender():
    files = sorted((ROOT / "lifting").rglob("*.py"))
    assert files, "lifting/ has no modules"
    hits = [hit for f in files for hit in blender_imports(f)]
    assert hits == []


def test_detector_catches_a_blender_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom mathutils import Matrix\ndef f():\n    import bpy.ops\n")
    assert blender_imports(bad) == ["bad.py:2 mathutils", "bad.py:4 bpy.ops"]


def test_lifting_runs_as_a_module_without_blender():
    import subprocess
    import sys

    code = "import sys, lifting.__main__ as m; m.main(['--help']); assert 'bpy' not in sys.modules"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "keypoints" in out.stdout
