"""A worker's start-up: imports it never uses are deferred, and still work when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import json, sys
from lifting.keypoints.worker_entry import defer_imports
real_json = sys.modules["json"]
defer_imports()
defer_imports((("json",),))
assert sys.modules["json"] is real_json, "an imported module must not be replaced"
import mediapipe as mp
from mediapipe.python.solutions import drawing_utils
assert "matplotlib.figure" not in sys.modules
assert "__file__" not in sys.modules["sounddevice"].__dict__  # still the stand-in
with mp.solutions.pose.Pose() as pose:  # the worker's tracker works without them
    import numpy as np
    pose.process(np.zeros((64, 64, 3), np.uint8))
# first use imports the real modules
assert drawing_utils.plt.figure.__module__ == "matplotlib.pyplot"
assert type(sys.modules["matplotlib.pyplot"]).__name__ == "module"
assert sys.modules["matplotlib.pyplot"].__file__.endswith("pyplot.py")
assert mp.tasks.audio.AudioClassifier.__name__ == "AudioClassifier"
import sounddevice
try:  # the real import runs now: it succeeds, or fails as a plain import would (no PortAudio)
    assert isinstance(sounddevice.__version__, str)
except OSError as err:
    assert "PortAudio" in str(err), err
print("ok")
"""


def test_deferred_imports_are_skipped_at_start_and_work_on_first_use():
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
