"""Build the per-platform extension zips with Blender's own builder, then validate them.

Steps: copy the repository (minus what the manifest excludes) into a staging folder; fetch the
platforms' wheels (tools/fetch_wheels.py) into ``<stage>/wheels``; export every bundled lifter to
``<stage>/lifting/weights/<name>.onnx`` (checked against torch) and leave the ``.pt`` files out;
write the staging manifest's ``wheels`` list and ``platforms``; run ``blender_ext.py build
--split-platforms`` and ``blender_ext.py validate`` on every zip.

The committed manifest keeps ``wheels = []`` and the repository's ``wheels/`` stays empty: a
fresh clone (CI) has no wheels, and the wheels list differs per platform subset, so only the
staging copy, built from a known set, carries the list.

    python tools/build_extension.py                       # all platforms into dist/
    python tools/build_extension.py --platform linux-x64 --out /tmp/zips
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a tool run as a script; product code never does this
    sys.path.insert(0, str(ROOT))

from tools import fetch_wheels  # noqa: E402

MANIFEST = "blender_manifest.toml"


class BuildError(RuntimeError):
    """Blender's builder or validator rejected the extension."""


def stage_sources(stage: Path, root: Path = ROOT) -> list[str]:
    """Copy the files the zip may contain into an emptied ``stage``; returns their paths."""
    if stage.exists():
        shutil.rmtree(stage)
    copied = []
    for path, rel in fetch_wheels.iter_shipped(root, fetch_wheels.exclude_patterns(root)):
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied.append(rel)
    return copied


def stage_weights(stage: Path) -> dict[str, float]:
    """Export the lifters staged with their cards (not the baselines the manifest excludes) to
    ONNX inside the stage; drop every ``.pt`` from the zip."""
    from tools import export_onnx

    weights = stage / "lifting" / "weights"
    staged = export_onnx.bundled_models(weights)
    diffs = export_onnx.export_bundled(weights, staged) if staged else {}
    for pt in weights.rglob("*.pt"):  # torch files are useless without torch, which never ships
        pt.unlink()
    return diffs


def write_manifest(stage: Path, wheels: list[Path], platforms: list[str]) -> str:
    """Write the staging manifest's ``wheels`` list and ``platforms``; returns its text."""
    path = stage / MANIFEST
    text = path.read_text()
    listed = ",\n".join(f'  "./wheels/{w.name}"' for w in sorted(wheels))
    wheels_toml = f"wheels = [\n{listed},\n]" if wheels else "wheels = []"
    platforms_toml = "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]"
    text, n = re.subn(r"(?ms)^wheels = \[.*?\]", lambda _: wheels_toml, text, count=1)
    if n != 1:
        raise BuildError(f"no `wheels = [...]` in {path}")
    text, n = re.subn(r"(?m)^platforms = \[.*?\]", lambda _: platforms_toml, text, count=1)
    if n != 1:
        text = text.replace(wheels_toml, f"{wheels_toml}\n{platforms_toml}", 1)
    path.write_text(text)
    return text


def _cli(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(fetch_wheels.blender_ext_cli()), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise BuildError(f"blender_ext {args[0]} failed:\n{out.stdout}{out.stderr}")
    return out.stdout


def build(
    platforms: list[str],
    out_dir: Path,
    *,
    stage: Path = ROOT / "build" / "stage",
    cache: Path = fetch_wheels.DEFAULT_CACHE,
) -> dict[str, Path]:
    """Build and validate one zip per platform; returns platform -> zip path."""
    stage_sources(stage)
    diffs = stage_weights(stage)
    wheels = fetch_wheels.fetch(platforms, stage / "wheels", cache=cache)
    write_manifest(stage, wheels, platforms)
    out_dir.mkdir(parents=True, exist_ok=True)
    _cli("validate", str(stage))
    _cli("build", "--source-dir", str(stage), "--output-dir", str(out_dir), "--split-platforms")
    zips = {}
    for platform in platforms:
        hits = sorted(out_dir.glob(f"lift_mocap-*-{platform.replace('-', '_')}.zip"))
        if not hits:
            raise BuildError(f"the builder wrote no zip for {platform} in {out_dir}")
        _cli("validate", str(hits[-1]))
        zips[platform] = hits[-1]
    for name, diff in diffs.items():
        print(f"weights: {name}.onnx (max |onnx - torch| = {diff:.1e} m)")
    return zips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", action="append", choices=sorted(fetch_wheels.PLATFORMS))
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--stage", type=Path, default=ROOT / "build" / "stage")
    parser.add_argument("--cache", type=Path, default=fetch_wheels.DEFAULT_CACHE)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        zips = build(
            args.platform or list(fetch_wheels.PLATFORMS),
            args.out,
            stage=args.stage,
            cache=args.cache,
        )
    except (BuildError, fetch_wheels.FetchError, fetch_wheels.BlenderToolMissingError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for platform, path in zips.items():
        print(f"{platform:12s} {path.stat().st_size / 1e6:7.1f} MB  {path}  (validated)")
    print(f"built in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
