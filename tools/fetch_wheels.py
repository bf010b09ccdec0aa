"""Fetch the unmodified PyPI wheels the extension zip bundles, for each platform Blender runs on.

The set is what ``mediapipe.solutions.pose`` and the lifting runtime (``onnxruntime``) need AT
IMPORT TIME inside Blender's Python 3.11, minus what Blender itself bundles (``numpy`` 1.26,
``requests`` and friends). It was found by importing and running the pose solution in an empty
virtual environment holding only numpy and these wheels, and is checked inside Blender by
tests/e2e/test_installed_extension.py (an interpreter that sees only bpy and numpy, so every
other module must come from the zip's wheels).

OpenCV: mediapipe declares ``opencv-contrib-python``; we ship ``opencv-python-headless`` of the
same release instead, which provides the same ``cv2`` module without the contrib modules and GUI
libraries (nothing of ours or of the pose solution uses either) and is ~20 MB smaller.

Wheels are downloaded with ``pip download --no-deps`` from PyPI into a cache outside the
repository (``~/.cache/lift/wheels/<platform>/``, reused on reruns) and copied into ``--dest``
(default ``build/wheels``). The repository's own ``wheels/`` stays empty, matching the committed
manifest's ``wheels = []``; tools/build_extension.py fills the wheels folder and list of a
staging copy. Usage::

    python tools/fetch_wheels.py                       # all three platforms
    python tools/fetch_wheels.py --platform linux-x64  # one platform
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path.home() / ".cache" / "lift" / "wheels"
PYTHON_VERSION = "3.11"

# Blender platform name -> pip --platform tags, most specific first. macOS stops at 12.0 so
# every wheel runs on the oldest macOS Blender 4.2-5.0 supports on Apple silicon where a wheel
# for it exists (see MAC_FALLBACK for packages that only publish newer tags).
PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x64": (
        "manylinux_2_28_x86_64",
        "manylinux_2_27_x86_64",
        "manylinux_2_24_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
        "manylinux2010_x86_64",
        "manylinux1_x86_64",
    ),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_12_0_arm64", "macosx_12_0_universal2"),
}
MAC_FALLBACK = ("macosx_14_0_arm64", "macosx_14_0_universal2")

# Import-time closure of mediapipe.solutions.pose (mediapipe imports matplotlib.pyplot through
# its drawing utilities) and of the inference runtime, found in an empty venv. Declared but never
# imported on these paths, so not shipped: absl-py, flatbuffers, jax, jaxlib, sentencepiece,
# sounddevice (mediapipe), contourpy, fonttools (matplotlib: contour plots, font subsetting),
# coloredlogs, sympy (onnxruntime's model tools). numpy is not shipped: Blender bundles numpy
# 1.26 and every pin here accepts it. Pinned: the zip must be reproducible.
COMMON: dict[str, str] = {
    "mediapipe": "0.10.21",
    "opencv-python-headless": "4.11.0.86",  # 4.12 requires numpy >= 2
    "protobuf": "4.25.8",  # mediapipe: >=4.25.3,<5
    "attrs": "25.3.0",
    "matplotlib": "3.10.3",
    "cycler": "0.12.1",
    "kiwisolver": "1.4.8",
    "packaging": "25.0",
    "pillow": "11.2.1",
    "pyparsing": "3.2.3",
    "python-dateutil": "2.9.0.post0",
    "six": "1.17.0",
}
# Top-level modules each shipped distribution provides (checked against shipped imports).
IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "mediapipe": ("mediapipe",),
    "opencv-python-headless": ("cv2",),
    "protobuf": ("google",),
    "attrs": ("attr", "attrs"),
    "matplotlib": ("matplotlib", "mpl_toolkits", "pylab"),
    "cycler": ("cycler",),
    "kiwisolver": ("kiwisolver",),
    "packaging": ("packaging",),
    "pillow": ("PIL",),
    "pyparsing": ("pyparsing",),
    "python-dateutil": ("dateutil",),
    "six": ("six",),
    "scipy": ("scipy",),
    "onnxruntime": ("onnxruntime",),
    "onnxruntime-directml": ("onnxruntime",),
}
# What Blender's own Python provides to every add-on (Blender 4.2-5.0).
BLENDER_PROVIDES = frozenset(
    {"bpy", "bpy_extras", "mathutils", "bmesh", "gpu", "gpu_extras", "bl_math", "aud", "idprop"}
    | {"addon_utils", "rna_prop_ui", "numpy", "requests", "zstandard"}
)
# Shipped only while product code (what the zip contains) imports it. Nothing does since
# lifting/motion/dsp.py replaced SciPy's filters (scipy stays a development/test dependency);
# the rule stays so a new SciPy import ships its 30-41 MB wheel rather than crashing in Blender.
OPTIONAL: dict[str, str] = {
    "scipy": "1.15.3",  # 1.16 needs numpy >= 1.25.2; 1.15 runs on every Blender 4.2-5.0 numpy
}
ONNXRUNTIME_VERSION = "1.23.2"
# The inference runtime per platform. Windows gets the DirectML build (any DirectX 12 GPU, falls
# back to CPU; +12 MB over the CPU build); macOS's wheel has CoreML; Linux's PyPI wheel is
# CPU-only (the CUDA build is a separate ~300 MB wheel).
RUNTIME: dict[str, dict[str, str]] = {
    "linux-x64": {"onnxruntime": ONNXRUNTIME_VERSION},
    "windows-x64": {"onnxruntime-directml": "1.23.0"},  # newest DirectML build
    "macos-arm64": {"onnxruntime": ONNXRUNTIME_VERSION},
}


class FetchError(RuntimeError):
    """pip could not download a wheel (network, or a pin without a wheel for the platform)."""


class BlenderToolMissingError(RuntimeError):
    """The ``bpy`` module (which carries Blender's extension tool) is not installed."""


def blender_ext_cli() -> Path:
    """Blender's extension command line, as shipped inside the ``bpy`` wheel."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BlenderToolMissingError("the bpy module is not installed; run ./run once")
    base = Path(next(iter(spec.submodule_search_locations)))
    hits = sorted(base.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not hits:
        raise BlenderToolMissingError(f"blender_ext.py not found under {base}")
    return hits[-1]


def path_matcher(patterns: list[str]):
    """Blender's own ``paths_exclude_pattern`` matcher (``PathPatternMatch`` of blender_ext.py),
    so staging and scanning exclude exactly what Blender's builder excludes."""
    if "blender_ext" not in sys.modules:
        spec = importlib.util.spec_from_file_location("blender_ext", blender_ext_cli())
        module = importlib.util.module_from_spec(spec)
        sys.modules["blender_ext"] = module
        spec.loader.exec_module(module)
    return sys.modules["blender_ext"].PathPatternMatch(patterns)


def iter_shipped(root: Path, patterns: list[str]):
    """Yield ``(path, rel)`` of every file under ``root`` not matched by ``patterns``
    (excluded folders are not descended into)."""
    match = path_matcher(patterns)
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        rel_dir = base.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not match.test_path(f"{prefix}{d}/"))
        for name in sorted(filenames):
            if not match.test_path(prefix + name):
                yield base / name, prefix + name


def exclude_patterns(root: Path = ROOT) -> list[str]:
    """The manifest's build exclusions plus local state that never ships."""
    manifest = tomllib.loads((root / "blender_manifest.toml").read_text())
    never = ["/.git/", "/.venv/", "/build/", "/dist/", "/out/", "/runs/", "/wheels/", "/.cache/"]
    return [*manifest.get("build", {}).get("paths_exclude_pattern", []), *never]


def shipped_imports(root: Path = ROOT) -> set[str]:
    """Top-level module names imported anywhere in the Python files the zip ships."""
    names: set[str] = set()
    for path, rel in iter_shipped(root, exclude_patterns(root)):
        if not rel.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def packages_for(platform: str, root: Path = ROOT) -> dict[str, str]:
    """Distribution name -> pinned version for one Blender platform."""
    used = shipped_imports(root)
    optional = {name: v for name, v in OPTIONAL.items() if name in used}
    return {**COMMON, **optional, **RUNTIME[platform]}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def cached_wheel(cache: Path, name: str, version: str) -> Path | None:
    """A wheel of ``name==version`` already in ``cache``, if any."""
    prefix = f"{_normal(name)}-{version}-"
    for path in sorted(cache.glob("*.whl")):
        if _normal(path.name.split("-")[0]) + "-" + path.name.split("-")[1] + "-" == prefix:
            return path
    return None


def pip_env() -> dict[str, str]:
    """Environment for pip that reaches PyPI only: local wheel folders, extra indexes and
    constraint files configured on a developer machine must not leak into the shipped set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if "PIP_INDEX_URL" in os.environ:
        env["PIP_INDEX_URL"] = os.environ["PIP_INDEX_URL"]
    cert = "/etc/ssl/certs/ca-certificates.crt"
    if "PIP_CERT" not in env and Path(cert).is_file():
        env["PIP_CERT"] = cert
    return env


def _pip_download(spec: str, tags: tuple[str, ...], cache: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", spec, "--no-deps", "--only-binary=:all:"]
    cmd += ["--python-version", PYTHON_VERSION, "--implementation", "cp"]
    cmd += ["--abi", "cp311", "--abi", "abi3", "--abi", "none", "--dest", str(cache), "-q"]
    for tag in (*tags, "any"):
        cmd += ["--platform", tag]
    out = subprocess.run(cmd, env=pip_env(), capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise FetchError(f"pip download {spec} failed:\n{out.stderr.strip()[-2000:]}")


def fetch_one(name: str, version: str, platform: str, cache: Path) -> Path:
    """Download (or reuse) the wheel of ``name==version`` for ``platform`` into ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    if (hit := cached_wheel(cache, name, version)) is not None:
        return hit
    try:
        _pip_download(f"{name}=={version}", PLATFORMS[platform], cache)
    except FetchError:
        if not platform.startswith("macos"):
            raise
        _pip_download(f"{name}=={version}", MAC_FALLBACK, cache)
    hit = cached_wheel(cache, name, version)
    if hit is None:
        raise FetchError(f"pip reported success but no wheel of {name}=={version} in {cache}")
    return hit


def fetch(platforms: list[str], dest: Path, *, cache: Path = DEFAULT_CACHE) -> list[Path]:
    """Fetch every wheel for ``platforms`` and copy them into ``dest`` (which is emptied of
    other wheels first). Returns the copied paths, sorted by name."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for platform in platforms:
        for name, version in packages_for(platform).items():
            wheel = fetch_one(name, version, platform, cache / platform)
            wanted[wheel.name] = wheel
    for old in dest.glob("*.whl"):
        if old.name not in wanted:
            old.unlink()
    for name, src in wanted.items():
        target = dest / name
        if not target.is_file() or target.stat().st_size != src.stat().st_size:
            shutil.copy2(src, target)
    return sorted(dest / n for n in wanted)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--platform",
        action="append",
        choices=sorted(PLATFORMS),
        help="Blender platform (repeatable; default: all three)",
    )
    parser.add_argument("--dest", type=Path, default=ROOT / "build" / "wheels")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    platforms = args.platform or list(PLATFORMS)
    try:
        wheels = fetch(platforms, args.dest, cache=args.cache)
    except FetchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    total = sum(w.stat().st_size for w in wheels)
    for w in wheels:
        print(f"{w.stat().st_size / 1e6:8.1f} MB  {w.name}")
    print(f"{total / 1e6:8.1f} MB  {len(wheels)} wheels in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
