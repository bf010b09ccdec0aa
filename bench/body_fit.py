"""Body fit accuracy (and its cost against the Lift armature's solve alone), in one run.

For the sample walk's ground-truth joints and the first frames of validation mocap clips: the
IK fit's joint error (the fitted skeleton's joints against the target joints), the error of the
joints read off the skinned mesh (``lift_regressor @ vertices``), both with the clip's
proportions (the default) and with the body's own proportions scaled to the clip's height; and
the time of ``fit_body`` + skinning every frame against ``retarget.solve`` alone.

Run: ``./run python bench/body_fit.py [--clips 5] [--frames 300]``; writes
``out/bench/body_fit.json``. Never pass/fail on time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "out" / "bench"

from lifting.bodies import load_body  # noqa: E402
from lifting.bodies.fit import fit_body, posed_vertices  # noqa: E402
from lifting.mocap.dataset import load_split  # noqa: E402
from lifting.retarget import lift_rest_skeleton, solve  # noqa: E402


def errors(model, joints, proportions):
    t0 = time.perf_counter()
    fit = fit_body(model, joints, proportions=proportions)
    verts = posed_vertices(model, fit)
    seconds = time.perf_counter() - t0
    fk = np.linalg.norm(fit.joints - joints, axis=-1) * 1000
    mesh = np.linalg.norm(model.regress(verts) - joints, axis=-1) * 1000
    return {
        "ik_mean_mm": float(fk.mean()),
        "ik_max_mm": float(fk.max()),
        "mesh_mean_mm": float(mesh.mean()),
        "mesh_max_mm": float(mesh.max()),
    }, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=5)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args(argv)
    model = load_body()
    with np.load(ROOT / "tests" / "data" / "sample" / "walk.npz") as data:
        clips = {"sample walk": data["joints_world"].astype(np.float64)}
    val = load_split("val")
    for i in np.random.default_rng(0).choice(len(val), size=args.clips, replace=False):
        clips[val[i].name] = val[i].joints[: args.frames].astype(np.float64)
    rows = {}
    fit_s = solve_s = frames = 0.0
    for name, joints in clips.items():
        rows[name] = {}
        for proportions in ("clip", "body"):
            rows[name][proportions], seconds = errors(model, joints, proportions)
            if proportions == "clip":
                fit_s += seconds
                t0 = time.perf_counter()
                solve(joints, lift_rest_skeleton(joints))
                solve_s += time.perf_counter() - t0
                frames += len(joints)
        print(name, json.dumps(rows[name]))
    result = {
        "command": " ".join(sys.argv),
        "clips": rows,
        "fit_and_skin_over_solve": fit_s / solve_s,
        "fit_and_skin_ms_per_frame": 1000 * fit_s / frames,
    }
    print(f"fit + skinning / solve alone: {result['fit_and_skin_over_solve']:.1f}x")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "body_fit.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
