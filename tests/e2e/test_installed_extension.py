"""The extension as a user gets it: build the linux zip with Blender's builder, install it into
the ``bpy`` module, enable it, run ``lift.video`` on the sample clip from the installed package,
disable and uninstall.

The session runs in a fresh interpreter (``python -S``) that sees only ``bpy`` and the packages
Blender itself bundles (numpy, requests, ...), so mediapipe, OpenCV and onnxruntime can only
come from the wheels inside the zip, and the package imports as
``bl_ext.user_default.lift_mocap`` (relative imports exercised). Blender's user folders point
at a temporary directory (``BLENDER_USER_RESOURCES``). Wheels are cached in
``~/.cache/lift/wheels``; if they cannot be fetched the test fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tools import build_extension, export_onnx

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE = ROOT / "tests" / "data" / "sample"
# What Blender's own Python bundles (beside bpy); everything else must come from the zip.
BLENDER_BUNDLES = (
    "bpy",
    "numpy",
    "numpy.libs",
    "requests",
    "certifi",
    "charset_normalizer",
    "idna",
    "urllib3",
    "zstandard",
)
PACKAGE = "bl_ext.user_default.lift_mocap"


def sample_video() -> Path | None:
    """The project-made sample clip (tests/data/sample/*.mp4), if rendered yet."""
    hits = sorted(SAMPLE.glob("*.mp4")) if SAMPLE.is_dir() else []
    return hits[0] if hits else None


def blender_like_path(tmp: Path) -> Path:
    """A folder of links to bpy and Blender's bundled packages only."""
    spec = importlib.util.find_spec("bpy")
    site = Path(next(iter(spec.submodule_search_locations))).parent
    folder = tmp / "blender-python"
    folder.mkdir()
    for name in BLENDER_BUNDLES:
        if (site / name).exists():
            (folder / name).symlink_to(site / name)
    return folder


@pytest.fixture(scope="module")
def linux_zip(tmp_path_factory) -> Path:
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("the linux-x64 zip installs only on Linux x86_64")
    out = tmp_path_factory.mktemp("dist")
    zips = build_extension.build(["linux-x64"], out, stage=out / "stage")
    return zips["linux-x64"]


def run_session(zip_path: Path, tmp: Path, video: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "BLENDER_"))}
    env.update(
        PYTHONPATH=str(blender_like_path(tmp)),  # bytecode is written, as in Blender
        BLENDER_USER_RESOURCES=str(tmp / "user"),
        MPLCONFIGDIR=str(tmp / "matplotlib"),
    )
    args = [sys.executable, "-S", str(HERE / "installed_session.py"), str(zip_path)]
    if video is not None:
        args.append(str(video))
    out = subprocess.run(
        args, env=env, cwd=tmp, capture_output=True, text=True, timeout=900, check=False
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    assert out.returncode == 0 and lines, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def assert_same_3d_as_torch(tmp: Path) -> None:
    """The installed extension's 3D (ONNX Runtime) equals the torch reference model's on the
    sample clip's own 2D keypoints: max abs difference ≤ 1e-4 m, joints and root."""
    from lifting import inference  # not `from lifting.inference import`: isort-stable
    from lifting.keypoints.track import Track2D
    from lifting.models import registry

    shipped = inference.Pose3D.load(tmp / "pose.npz")
    track = Track2D.load(tmp / "track.npz")
    assert not (registry.WEIGHTS_DIR / f"{registry.resolve('default')}.onnx").exists()
    ref = inference.lift(track.lift2d, track.width, track.height, fps=track.fps, device="cpu")
    assert ref.device == "torch:cpu" and shipped.device.startswith("onnxruntime:")
    assert np.abs(shipped.joints3d - ref.joints3d).max() <= 1e-4
    assert np.abs(shipped.root - ref.root).max() <= 1e-4


def test_zip_passes_blenders_validator(linux_zip):
    import tomllib
    import zipfile

    cli = build_extension.fetch_wheels.blender_ext_cli()
    out = subprocess.run(
        [sys.executable, str(cli), "validate", str(linux_zip)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    manifest = tomllib.loads(zipfile.ZipFile(linux_zip).read("blender_manifest.toml").decode())
    assert manifest["build"]["generated"]["platforms"] == ["linux-x64"]
    assert manifest["wheels"] and manifest["build"]["generated"]["wheels"]


def test_zip_contents(linux_zip):
    """Wheels, ONNX weights and the manifest are in; development files and torch are out."""
    import zipfile

    names = zipfile.ZipFile(linux_zip).namelist()
    wheels = [n for n in names if n.startswith("wheels/")]
    assert any(n.startswith("wheels/mediapipe-0.10.21-") for n in wheels)
    assert any(n.startswith("wheels/onnxruntime-") for n in wheels)
    assert all("manylinux" in n or "-none-any" in n for n in wheels), wheels
    assert not any(n.startswith("wheels/torch-") for n in wheels)
    assert "blender_manifest.toml" in names and "__init__.py" in names
    for dev in ("tests/", "tools/", "bench/", "lifting/train/", "docs/"):
        assert not any(n.startswith(dev) for n in names), dev
    assert not any(n.endswith(".pt") for n in names)
    for pt in export_onnx.bundled_weights().values():  # every lifter ships as ONNX + card,
        rel = pt.relative_to(ROOT).as_posix()[: -len(".pt")]
        baseline = "baselines" in pt.parent.name  # except the baselines (evaluate/bench only)
        assert (rel + ".onnx" in names) != baseline, rel
        assert (rel + ".json" in names) != baseline, rel
    assert not any("/baselines/" in n for n in names)
    assert not any(n.startswith("wheels/scipy-") for n in wheels)


def lift_inputs() -> tuple[Path | None, str]:
    """The sample clip when ``lift.video`` can run on it, else ``(None, why not)``."""
    video = sample_video()
    if video is None:
        return None, "no sample clip in tests/data/sample"
    if not export_onnx.bundled_models():
        return None, "no bundled lifter weights in lifting/weights yet"
    return video, ""


@pytest.fixture(scope="module")
def session(linux_zip, tmp_path_factory) -> tuple[Path, dict]:
    """One Blender session: install, enable, lift the sample clip (when possible), disable,
    uninstall. Returns its folder and what it recorded."""
    tmp = tmp_path_factory.mktemp("session")
    return tmp, run_session(linux_zip, tmp, lift_inputs()[0])


def test_install_enable_disable_uninstall(session):
    tmp, res = session
    assert res["install"] == ["FINISHED"]
    assert res["enabled"] and res["operator_registered"]
    local = res["site_packages"]
    assert local and all(str(tmp) in p for p in local)
    for name, path in res["modules"].items():  # the bundled wheels, not the dev environment
        assert path.startswith(local[0]), (name, path)
    assert set(res["modules"]) >= {"mediapipe", "cv2", "onnxruntime", "matplotlib"}
    assert not res["torch_importable"] and not res["scipy_importable"]
    assert res["disabled"] and not res["operator_after_disable"]
    assert res["uninstall"] == ["FINISHED"]
    assert not res["extension_dir_after"]
    # Blender removes every wheel's files; only the bytecode of top-level single-file modules
    # (six.py, pylab.py), which no wheel's RECORD lists, stays behind in __pycache__.
    assert set(res["site_packages_after"]) <= {"__pycache__"}, res["site_packages_after"]


def test_lift_video_from_the_installed_extension(session):
    """``lift.video`` on the sample clip, run by the installed package with the zip's wheels:
    an animated armature, the ONNX Runtime CPU device, no torch, the reference model's 3D."""
    video, why_not = lift_inputs()
    if video is None:
        pytest.skip(why_not)
    tmp, res = session
    assert "lift_exception" not in res, res["lift_exception"]
    assert res["lift"] == ["FINISHED"], res.get("lift_error")
    assert res["lift_state"] == "FINISHED"
    assert res["lift_package"].startswith(PACKAGE)
    assert res["device"] == "onnxruntime:cpu"
    assert res["frames"] > 0 and res["detected"] > 0
    assert res["armatures"] and res["keyframed_frames"]
    assert not res["torch_loaded"], "the shipped path must not need torch"
    assert not res["scipy_loaded"], "the shipped path must not need scipy"
    assert_same_3d_as_torch(tmp)
