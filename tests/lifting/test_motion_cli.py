"""``python -m lifting world``: keypoints + pose files in, motion + report + plot out."""

import json
import subprocess
import sys

import numpy as np

from lifting.__main__ import main
from lifting.mocap.bvh import load_bvh
from lifting.mocap.skeletons import to_lift
from lifting.motion import synthetic
from lifting.motion.world import Motion

ROOT = synthetic.__file__.rsplit("/lifting/", 1)[0]


def test_world_command_writes_motion_report_and_plot(mocap_dir, tmp_path, capsys):
    world = to_lift(load_bvh(mocap_dir / "bandai/dataset-1_walk_normal_001.bvh.gz"))
    pose, track, cam = synthetic.make_scene(world.astype(float), 30.0, np.random.default_rng(0))
    track.save(tmp_path / "kp.npz")
    pose.save(tmp_path / "pose.npz")
    files = [str(tmp_path / n) for n in ("kp.npz", "pose.npz", "m.npz")]
    args = ["world", files[0], files[1], "--out", files[2], "--focal", str(cam.focal)]
    assert main(args) == 0
    motion = Motion.load(tmp_path / "m.npz")
    assert motion.joints.shape == world.shape
    report = json.loads((tmp_path / "m.report.json").read_text())
    assert report["frames"] == len(world)
    assert (tmp_path / "m.report.png").read_bytes()[:4] == b"\x89PNG"
    assert "foot slide" in capsys.readouterr().out
    # Nothing of the user's is overwritten silently.
    assert main(args) == 1
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force", "--strength", "0"]) == 0
    assert Motion.load(tmp_path / "m.npz").report.jitter > motion.report.jitter


def test_world_command_runs_as_a_module(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "lifting", "world", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0 and "--camera-height" in out.stdout
