"""The README's main job: the headless batch on the bundled sample clip, into out/demo/.

Equivalent to ``python batch.py -- tests/data/sample --out out/demo --overwrite``; prints each
video's report summary afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "sample"
OUT = ROOT / "out" / "demo"


def main() -> int:
    if not SAMPLE.is_dir():
        print(f"demo: the sample clip folder {SAMPLE} does not exist yet", file=sys.stderr)
        return 1
    cmd = [sys.executable, str(ROOT / "batch.py"), "--", str(SAMPLE), "--out", str(OUT)]
    print("demo:", " ".join(cmd[1:]), "--overwrite", flush=True)
    code = subprocess.call([*cmd, "--overwrite"], cwd=ROOT)
    for path in sorted(OUT.glob("*.report.json")):
        report = json.loads(path.read_text())
        if report.get("status") != "ok":
            continue
        quality = report.get("quality", {})
        print(
            f"{path.name}: {report['frames']} frames at {report['fps']:g} fps, model "
            f"{report['model']}, person found in {report['detection_coverage']:.0%} of frames, "
            f"jitter {quality.get('jitter')}, foot slide {quality.get('foot_slide_cm_per_frame')} "
            f"cm/frame; stage seconds {report['stage_seconds']}"
        )
    if code == 0:
        print(f"demo: open {OUT} — .blend (armature, action, camera over the footage), .bvh")
    return code


if __name__ == "__main__":
    sys.exit(main())
