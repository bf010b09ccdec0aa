"""Time from dropping the zip on Blender to the first result: build the linux-x64 zip, install
it into the ``bpy`` module (user folders in a temporary directory, an interpreter that sees only
bpy + numpy, as tests/e2e does), run ``lift.video`` on the sample clip, uninstall.

Prints and writes (``out/bench/install.json``): zip size, build time (wheels cached), install
time, lift time, install-to-result time, frames, device. The same session also gives the
``bpy`` import time in that fresh interpreter as a baseline.

    ./run python bench/install.py [--video tests/data/sample/<clip>.mp4]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests" / "e2e"):  # a script; product code never does this
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import test_installed_extension as e2e  # noqa: E402

from tools import build_extension  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=e2e.sample_video())
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "install.json")
    args = parser.parse_args(argv)
    if args.video is None:
        print("error: no sample clip in tests/data/sample; pass --video", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        start = time.perf_counter()
        zips = build_extension.build(["linux-x64"], tmp / "dist", stage=tmp / "stage")
        build_seconds = time.perf_counter() - start
        session = tmp / "session"
        session.mkdir()
        res = e2e.run_session(zips["linux-x64"], session, args.video)
        zip_mb = zips["linux-x64"].stat().st_size / 1e6
    figures = {
        "video": str(args.video),
        "zip_mb": round(zip_mb, 1),
        "build_seconds": round(build_seconds, 1),
        "bpy_import_seconds": round(res["bpy_seconds"], 2),
        "install_seconds": round(res["install_seconds"], 1),
        "install_to_result_seconds": round(res["install_to_result_seconds"], 1),
        "lift_seconds": round(res["install_to_result_seconds"] - res["install_seconds"], 1),
        "frames": res.get("frames"),
        "device": res.get("device"),
        "state": res.get("lift_state"),
        "error": res.get("lift_error"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    return 0 if figures["state"] == "FINISHED" else 1


if __name__ == "__main__":
    sys.exit(main())
