"""blender_manifest.toml: required fields, tagline rules, wheels list, and Blender's validator."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = tomllib.loads((ROOT / "blender_manifest.toml").read_text())


def blender_ext_cli() -> Path:
    """Blender's extension tool, as shipped inside the ``bpy`` wheel."""
    spec = __import__("importlib.util").util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the bpy module is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    hits = sorted(base.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    assert hits, f"blender_ext.py not found under {base}"
    return hits[-1]


def test_required_fields():
    for key in (
        "schema_version",
        "id",
        "version",
        "name",
        "tagline",
        "maintainer",
        "type",
        "blender_version_min",
        "license",
    ):
        assert MANIFEST.get(key), key
    assert MANIFEST["schema_version"] == "1.0.0"
    assert MANIFEST["id"] == "lift_mocap"
    assert MANIFEST["type"] == "add-on"
    assert MANIFEST["blender_version_min"] == "4.2.0"
    assert MANIFEST["license"] == ["SPDX:GPL-3.0-or-later"]
    assert MANIFEST["permissions"]["files"]


def test_tagline_rules():
    tagline = MANIFEST["tagline"]
    assert len(tagline) <= 64
    assert tagline[-1].isalnum(), "no end punctuation"


def test_build_excludes_development_files():
    patterns = MANIFEST["build"]["paths_exclude_pattern"]
    for path in ("/tests/", "/tools/", "/bench/", "/lifting/train/"):
        assert path in patterns


def test_wheels_list_matches_wheels_folder():
    listed = sorted(Path(w).name for w in MANIFEST.get("wheels", []))
    present = sorted(p.name for p in (ROOT / "wheels").glob("*.whl"))
    assert listed == present
    for wheel in MANIFEST.get("wheels", []):
        assert wheel.startswith("./wheels/"), wheel


def test_blender_validator_accepts_the_repository():
    out = subprocess.run(
        [sys.executable, str(blender_ext_cli()), "validate", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_blender_validator_rejects_a_broken_manifest(tmp_path):
    text = (ROOT / "blender_manifest.toml").read_text().replace('id = "lift_mocap"', 'id = "x y"')
    (tmp_path / "blender_manifest.toml").write_text(text)
    out = subprocess.run(
        [sys.executable, str(blender_ext_cli()), "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
