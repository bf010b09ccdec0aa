"""lift() and `python -m lifting lift` with the bundled default model on synthetic 2D made from
validation mocap (never seen in training)."""

from __future__ import annotations

import numpy as np
import pytest

from lifting import metrics
from lifting.__main__ import main as cli
from lifting.camera import unnormalize_screen
from lifting.errors import (
    ClipTooShortError,
    FileFormatError,
    KeypointsNotFoundError,
    ModelNotFoundError,
)
from lifting.inference import Pose3D, lift
from lifting.skeleton import LIFT_JOINTS

VAL_FILES = ["cmu/007_02.bvh.gz", "bandai/dataset-2_walk_elderly_001.bvh.gz"]


@pytest.fixture(scope="module")
def windows(mocap_dir, tmp_path_factory):
    """Validation windows as a user's keypoints would look: px + confidence, with targets."""
    from lifting.mocap.dataset import load_split
    from lifting.train.synth import make_eval_set

    cache = tmp_path_factory.mktemp("cache")
    clips = load_split("test-val", mocap_dir=mocap_dir, cache_dir=cache, files=VAL_FILES)
    ev = make_eval_set(clips, window=120, seed=7)
    out = []
    for i in range(len(ev.target)):
        w, h = ev.size[i]
        px = unnormalize_screen(ev.clean[i][..., :2], w, h)
        lift2d = np.concatenate([px, ev.clean[i][..., 2:]], axis=-1).astype(np.float32)
        out.append({"lift2d": lift2d, "w": w, "h": h, "target": ev.target[i], "root": ev.root[i]})
    return out


def test_lift_recovers_unseen_validation_motion(windows):
    errs, p_errs, depth, angles = [], [], [], []
    for win in windows:
        pose = lift(win["lift2d"], win["w"], win["h"], fps=30)
        assert pose.joints3d.shape == win["target"].shape
        assert np.all(pose.joints3d[:, 0] == 0)
        errs.append(metrics.mpjpe(pose.joints3d, win["target"]))
        p_errs.append(metrics.p_mpjpe(pose.joints3d, win["target"]))
        depth.append(np.abs(pose.root[:, 2] - win["root"][:, 2]) / win["root"][:, 2])
        # The root's direction from the camera is seen in the image; only its depth is
        # ambiguous (unknown focal length), so the direction must be accurate.
        u = pose.root / np.linalg.norm(pose.root, axis=-1, keepdims=True)
        v = win["root"] / np.linalg.norm(win["root"], axis=-1, keepdims=True)
        angles.append(np.degrees(np.arccos(np.clip((u * v).sum(-1), -1, 1))))
    # Loose bounds (the shipped model's figures are in its card): a broken input convention,
    # a wrong joint order or a mirrored output all land far above them.
    assert np.mean(errs) < 0.08, errs
    assert np.mean(p_errs) < 0.06, p_errs
    # Depth from 2D alone is ambiguous by the focal-length range (500-1400 px) of training.
    assert np.mean(np.concatenate(depth)) < 0.4
    assert np.mean(np.concatenate(angles)) < 3.0


def test_short_clips_and_missing_joints(windows):
    win = windows[0]
    for t in (1, 2, 10):
        pose = lift(win["lift2d"][:t], win["w"], win["h"])
        assert pose.joints3d.shape == (t, 21, 3) and pose.root.shape == (t, 3)
        assert np.isfinite(pose.joints3d).all() and np.isfinite(pose.root).all()
    kp = win["lift2d"].copy()
    kp[:, 3] = np.nan  # a lost ankle
    kp[:, 17:, 2] = 0  # no toes or hand ends
    pose = lift(kp, win["w"], win["h"])
    assert np.isfinite(pose.joints3d).all()
    with pytest.raises(ClipTooShortError):
        lift(kp[:0], win["w"], win["h"])
    with pytest.raises(ModelNotFoundError):
        lift(kp, win["w"], win["h"], model="no-such-model")


def test_other_frame_rates_are_resampled(windows):
    win = windows[0]
    base = lift(win["lift2d"], win["w"], win["h"], fps=30)
    # The same motion filmed at 60 fps: twice the frames, every other one interpolated.
    k = win["lift2d"]
    mid = 0.5 * (k[:-1] + k[1:])
    k60 = np.empty((2 * len(k) - 1, *k.shape[1:]), np.float32)
    k60[0::2], k60[1::2] = k, mid
    fast = lift(k60, win["w"], win["h"], fps=60)
    assert fast.joints3d.shape[0] == len(k60)
    assert metrics.mpjpe(fast.joints3d[0::2], base.joints3d) < 0.01


def test_pose3d_round_trip(tmp_path, windows):
    win = windows[0]
    pose = lift(win["lift2d"][:20], win["w"], win["h"], fps=30)
    pose.save(tmp_path / "p.npz")
    back = Pose3D.load(tmp_path / "p.npz")
    np.testing.assert_array_equal(back.joints3d, pose.joints3d)
    np.testing.assert_array_equal(back.root, pose.root)
    assert back.joint_names == LIFT_JOINTS and back.model == pose.model and back.fps == 30
    np.savez(tmp_path / "bad.npz", joints3d=pose.joints3d, format_version=99)
    with pytest.raises(FileFormatError):
        Pose3D.load(tmp_path / "bad.npz")


def test_cli_reads_track2d_and_h36m17(tmp_path, windows, capsys):
    win = windows[0]
    track = tmp_path / "kp.npz"
    np.savez(track, lift2d=win["lift2d"], width=win["w"], height=win["h"], fps=30.0)
    out = tmp_path / "pose.npz"
    assert cli(["lift", str(track), "--out", str(out), "--device", "cpu"]) == 0
    with np.load(out) as f:
        assert f["joints3d"].shape == (len(win["lift2d"]), 21, 3)
        assert f["root"].shape == (len(win["lift2d"]), 3)
        assert tuple(f["joint_names"]) == LIFT_JOINTS
        assert str(f["model"]) and int(f["format_version"]) == 1
        full = f["joints3d"]
    # Refuses to overwrite, unless told to.
    assert cli(["lift", str(track), "--out", str(out)]) == 1
    assert "exists" in capsys.readouterr().err

    h36 = tmp_path / "h36.npz"
    np.savez(
        h36,
        keypoints=win["lift2d"][:, :17, :2],
        layout="h36m17",
        width=win["w"],
        height=win["h"],
        fps=30.0,
    )
    out2 = tmp_path / "pose2.npz"
    assert cli(["lift", str(h36), "--out", str(out2)]) == 0
    with np.load(out2) as f:
        # Without toes and hand ends the 17 shared joints stay close to the full-input result.
        assert f["joints3d"].shape == full.shape
        assert metrics.mpjpe(f["joints3d"][:, :17], full[:, :17]) < 0.05


def test_cli_errors(tmp_path):
    from lifting.inference_cli import read_keypoints

    with pytest.raises(KeypointsNotFoundError):
        read_keypoints(tmp_path / "missing.npz")
    np.savez(tmp_path / "x.npz", keypoints=np.zeros((3, 17, 2)), width=1, height=1)
    with pytest.raises(FileFormatError, match="layout"):
        read_keypoints(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", lift2d=np.zeros((3, 21, 3)))
    with pytest.raises(FileFormatError, match="width"):
        read_keypoints(tmp_path / "y.npz")
