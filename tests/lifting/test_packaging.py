"""tools/fetch_wheels.py and tools/build_extension.py without the network: staging, the
generated manifest (checked by Blender's validator), the wheel set's rules."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tools import build_extension, fetch_wheels

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stage(tmp_path_factory) -> Path:
    stage = tmp_path_factory.mktemp("stage")
    build_extension.stage_sources(stage)
    return stage


def test_stage_holds_the_extension_and_no_development_files(stage):
    files = {p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()}
    for needed in ("__init__.py", "blender_manifest.toml", "lifting/runtime.py", "props.py"):
        assert needed in files
    for dev in ("tests/", "tools/", "bench/", "docs/", "lifting/train/", ".git/", ".venv/"):
        assert not any(f.startswith(dev) for f in files), dev
    assert not any(f.endswith(".md") or "__pycache__" in f for f in files)
    # baselines are for `python -m lifting evaluate` and bench/ only, never offered in Blender
    assert not any(f.startswith("lifting/weights/baselines/") for f in files)


def test_generated_manifest_lists_wheels_and_passes_blenders_validator(stage, tmp_path):
    wheels = [
        "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
        "six-1.17.0-py2.py3-none-any.whl",
    ]
    target = tmp_path / "ext"
    target.mkdir()
    for p in stage.iterdir():
        (target / p.name).symlink_to(p)
    (target / "blender_manifest.toml").unlink()
    (target / "blender_manifest.toml").write_text((stage / "blender_manifest.toml").read_text())
    (target / "wheels").mkdir()
    for w in wheels:
        (target / "wheels" / w).write_bytes(b"")  # names only: the validator checks the list
    build_extension.write_manifest(target, [target / "wheels" / w for w in wheels], ["linux-x64"])
    manifest = tomllib.loads((target / "blender_manifest.toml").read_text())
    assert manifest["wheels"] == [f"./wheels/{w}" for w in sorted(wheels)]
    assert manifest["platforms"] == ["linux-x64"]
    cli = fetch_wheels.blender_ext_cli()
    out = subprocess.run(
        [sys.executable, str(cli), "validate", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    # and the committed manifest is untouched: no wheels, the three platforms
    committed = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert committed["wheels"] == []
    assert committed["platforms"] == list(fetch_wheels.PLATFORMS)


def test_optional_wheels_follow_the_shipped_imports(tmp_path):
    (tmp_path / "blender_manifest.toml").write_text((ROOT / "blender_manifest.toml").read_text())
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text("import scipy\n")  # excluded from the zip
    assert "scipy" not in fetch_wheels.packages_for("linux-x64", root=tmp_path)
    (tmp_path / "filters.py").write_text("from scipy.signal import butter\n")
    assert fetch_wheels.packages_for("linux-x64", root=tmp_path)["scipy"]


def test_wheel_set_is_pinned_and_leaves_blenders_own_packages_out():
    for platform in fetch_wheels.PLATFORMS:
        packages = fetch_wheels.packages_for(platform)
        assert packages["mediapipe"] == "0.10.21"
        assert all(v and v[0].isdigit() for v in packages.values()), packages
        assert not {"numpy", "torch", "requests"} & set(packages)
        assert any(name.startswith("onnxruntime") for name in packages)
        # SciPy (30-41 MB) is a development dependency: lifting/motion/dsp.py replaces it
        assert "scipy" not in packages, platform


def test_pip_reaches_pypi_only(monkeypatch):
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///somewhere")
    monkeypatch.setenv("PIP_CONSTRAINT", "/etc/xdg/pip/constraints.txt")
    env = fetch_wheels.pip_env()
    assert not {"PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT"} & set(env)
    assert env["PIP_CONFIG_FILE"] == fetch_wheels.os.devnull


def test_cached_wheel_matches_name_and_version_exactly(tmp_path):
    for name in (
        "onnxruntime-1.23.2-cp311-cp311-manylinux_2_28_x86_64.whl",
        "onnxruntime_directml-1.23.0-cp311-cp311-win_amd64.whl",
        "python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
    ):
        (tmp_path / name).write_bytes(b"")
    assert fetch_wheels.cached_wheel(tmp_path, "onnxruntime", "1.23.2").name.startswith("onnxr")
    assert fetch_wheels.cached_wheel(tmp_path, "onnxruntime", "1.23.0") is None
    assert fetch_wheels.cached_wheel(tmp_path, "onnxruntime-directml", "1.23.0") is not None
    assert fetch_wheels.cached_wheel(tmp_path, "python-dateutil", "2.9.0.post0") is not None


def test_every_shipped_import_is_provided():
    """Each third-party module the zip's code imports comes from Blender or from a bundled
    wheel; torch only on the development fallback (lifting/runtime.py checks for it first)."""
    provided = set(fetch_wheels.BLENDER_PROVIDES)
    for platform in fetch_wheels.PLATFORMS:
        wheels = fetch_wheels.packages_for(platform)
        assert set(wheels) <= set(fetch_wheels.IMPORT_NAMES), set(wheels)
        names = {m for dist in wheels for m in fetch_wheels.IMPORT_NAMES[dist]}
        imported = fetch_wheels.shipped_imports() - set(sys.stdlib_module_names)
        missing = imported - provided - names - {"torch"}
        assert not missing, f"{platform}: shipped code imports {missing}, which nothing ships"
