"""Quality report: fields on a synthetic clip, JSON, plot, left/right swap detection."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from lifting.errors import FileFormatError
from lifting.mocap.bvh import load_bvh
from lifting.mocap.skeletons import to_lift
from lifting.motion import report, synthetic
from lifting.motion.world import to_world
from lifting.skeleton import LEFT, RIGHT

FPS = 30.0
WALK = "bandai/dataset-2_walk-turn-left_normal_001.bvh.gz"


@pytest.fixture(scope="module")
def scene(mocap_dir):
    world = to_lift(load_bvh(mocap_dir / WALK)).astype(np.float64)
    pose, track, cam = synthetic.make_scene(world, FPS, np.random.default_rng(0))
    return world, pose, track, cam


def test_report_fields_on_a_synthetic_clip(scene):
    world, pose, track, cam = scene
    track = SimpleNamespace(**vars(track))
    track.detected, track.lift2d = track.detected.copy(), track.lift2d.copy()
    track.detected[:10] = False
    track.lift2d[:10, :, 2] = 0.0
    r = to_world(pose, track, focal_px=cam.focal).report
    assert r.frames == len(world) and r.fps == FPS
    assert r.detection_coverage == pytest.approx(track.detected.mean())
    assert r.detection_coverage <= 1 - 10 / len(world)
    assert r.jitter < r.jitter_raw / 3  # smoothing at the default strength
    assert 0 <= r.foot_slide_cm_per_frame < 0.5
    assert 0.5 < r.contact_fraction <= 1.0  # walking: a foot is nearly always down
    assert r.bone_length_cv_pct < 0.5 < r.bone_length_cv_raw_pct
    assert r.lr_swaps == 0
    assert 0 < r.reprojection_px < 15
    assert set(r.stage_seconds) == {"smooth", "bones", "trajectory", "ground", "contacts", "report"}
    assert all(v >= 0 for v in r.stage_seconds.values())
    assert len(r.jitter_per_frame) == len(r.contacts) == len(world)
    assert r.camera["focal_px"] == pytest.approx(cam.focal)


def test_no_smoothing_no_locking_leaves_the_jitter(scene):
    _, pose, track, cam = scene
    r = to_world(pose, track, focal_px=cam.focal, strength=0.0, foot_lock="never").report
    assert r.jitter > r.jitter_raw / 3


def test_reprojection_grows_with_a_wrong_focal_length(scene):
    _, pose, track, cam = scene
    right = to_world(pose, track, focal_px=cam.focal).report.reprojection_px
    wrong = to_world(pose, track, focal_px=cam.focal * 2.5).report.reprojection_px
    assert wrong > right


def test_json_round_trip_and_plot(scene, tmp_path):
    _, pose, track, cam = scene
    r = to_world(pose, track, focal_px=cam.focal).report
    r.save(tmp_path / "report.json")
    d = json.loads((tmp_path / "report.json").read_text())
    assert d["format_version"] == report.REPORT_FORMAT_VERSION
    assert report.QualityReport.load(tmp_path / "report.json").to_dict() == r.to_dict()
    assert "jitter_per_frame" not in r.summary()
    r.plot(tmp_path / "report.png")
    png = (tmp_path / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    d["format_version"] = 99
    with pytest.raises(FileFormatError):
        report.QualityReport.from_dict(d)


def test_nan_becomes_null_in_json():
    r = report.QualityReport(frames=3, fps=30.0)
    d = r.to_dict()
    assert d["jitter"] is None
    json.dumps(d, allow_nan=False)


def test_left_right_swaps_are_counted(scene):
    world, _, _, cam = scene
    kp = cam.project(world)
    conf = np.ones(kp.shape[:2])
    assert report.count_lr_swaps(kp, conf) == 0
    swapped = kp.copy()
    for start in (40, 90):  # two glitches of three frames: a swap in and a swap out each
        swapped[start : start + 3, list(LEFT)] = kp[start : start + 3, list(RIGHT)]
        swapped[start : start + 3, list(RIGHT)] = kp[start : start + 3, list(LEFT)]
    assert report.count_lr_swaps(swapped, conf) == 4
    legs = [17, 3, 2], [18, 6, 5]  # r_toe, r_ankle, r_knee / left
    apart = np.linalg.norm(kp[:, 3] - kp[:, 6], axis=-1) > 0.15 * np.ptp(kp[..., 1], axis=1)
    s = next(t for t in range(len(kp) - 12) if apart[t] and apart[t + 10])  # feet apart
    only_legs = kp.copy()
    only_legs[s : s + 10, legs[0]] = kp[s : s + 10, legs[1]]
    only_legs[s : s + 10, legs[1]] = kp[s : s + 10, legs[0]]
    assert report.count_lr_swaps(only_legs, conf) == 2


def test_joint_acceleration_of_a_parabola():
    t = np.arange(30) / FPS
    x = np.zeros((30, 2, 3))
    x[:, :, 2] = -0.5 * 9.81 * t[:, None] ** 2  # free fall
    acc = report.joint_acceleration(x, FPS)
    np.testing.assert_allclose(acc[1:-1], 9.81, rtol=1e-6)
    assert acc[0] == acc[-1] == 0
