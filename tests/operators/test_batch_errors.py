"""The headless batch entry (batch.py) on bad input: reported, skipped, non-zero exit."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_batch(*args, cwd):
    return subprocess.run(
        [sys.executable, str(ROOT / "batch.py"), "--", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_bad_videos_are_reported_and_the_exit_code_says_so(tmp_path, corrupt_video):
    folder = tmp_path / "in"
    folder.mkdir()
    corrupt_video.rename(folder / "a_corrupt.mp4")
    (folder / "b_empty.mov").write_bytes(b"")
    out = tmp_path / "out"
    done = run_batch(folder, "--out", out, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL a_corrupt.mp4" in done.stderr and "FAIL b_empty.mov" in done.stderr
    assert "0 of 2 videos lifted" in done.stdout
    for name in ("a_corrupt", "b_empty"):
        report = json.loads((out / f"{name}.report.json").read_text())
        assert report["status"] == "failed" and report["error"]
        assert not (out / f"{name}.blend").exists()


def test_missing_input_and_usage(tmp_path):
    done = run_batch(tmp_path / "nothing-here.mp4", "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 1 and "not found" in done.stderr
    done = run_batch(tmp_path, "--out", tmp_path / "out", cwd=tmp_path)  # a folder, no videos
    assert done.returncode == 2 and "no videos" in done.stderr
    done = run_batch(cwd=tmp_path)
    assert done.returncode == 2 and "--out" in done.stderr


def test_arguments_after_the_double_dash(addon):
    import importlib.util

    spec = importlib.util.spec_from_file_location("lift_batch_entry", ROOT / "batch.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    blender_argv = ["blender", "-b", "--python", "batch.py", "--", "in.mp4", "--out", "o"]
    assert entry.script_arguments(blender_argv) == ["in.mp4", "--out", "o"]
    assert entry.script_arguments(["batch.py", "in.mp4", "--out", "o"]) == ["in.mp4", "--out", "o"]
    assert entry.import_extension() is addon  # reuses the package already imported


def test_scale_and_adaptation_options_reach_the_pipeline_settings(addon):
    import argparse

    from lift_mocap.scene import batch

    parser = argparse.ArgumentParser()
    batch.add_arguments(parser)
    args = parser.parse_args(
        ["in", "--out", "o", "--actor-height", "1.7", "--tilt", "12", "--adapt-minutes", "2"]
    )
    settings = batch.settings_from_args(args, Path("in.mp4"))
    assert (settings.subject_height, settings.tilt, settings.adapt_minutes) == (1.7, 12.0, 2.0)
    plain = batch.settings_from_args(parser.parse_args(["in", "--out", "o"]), Path("in.mp4"))
    assert (plain.subject_height, plain.tilt, plain.adapt_minutes) == (None, None, 0.0)
