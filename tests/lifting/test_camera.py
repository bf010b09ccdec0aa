"""Camera maths: screen normalisation, projection, world↔camera, random cameras."""

import numpy as np

from lifting import camera as cam


def test_normalize_screen_matches_videopose3d_and_inverts():
    xy = np.array([[0.0, 0.0], [960.0, 540.0], [480.0, 270.0]])
    n = cam.normalize_screen(xy, 960, 540)
    np.testing.assert_allclose(n, [[-1, -540 / 960], [1, 540 / 960], [0, 0]])
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 900, (4, 5, 2))
    w, h = np.array([960, 960, 540, 960]), np.array([540, 720, 960, 540])
    back = cam.unnormalize_screen(cam.normalize_screen(pts, w, h), w, h)
    np.testing.assert_allclose(back, pts, rtol=1e-6)


def test_project_pinhole():
    p = np.array([[0.0, 0.0, 4.0], [1.0, -0.5, 2.0]])
    px = cam.project(p, 800.0, [480.0, 270.0])
    np.testing.assert_allclose(px, [[480, 270], [880, 70]])
    batched = cam.project(np.stack([p, p]), np.array([800.0, 400.0]), np.array([[0, 0], [10, 10]]))
    np.testing.assert_allclose(batched[1, 1], [210, -90])


def test_look_at_world_to_camera_round_trip():
    eye = np.array([[0.0, -5.0, 1.5]])
    target = np.array([[0.0, 0.0, 1.0]])
    R = cam.look_at(eye, target)[0]
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.isclose(np.linalg.det(R), 1.0)
    t = -R @ eye[0]
    c = cam.world_to_camera(target[0], R, t)
    np.testing.assert_allclose(c[:2], 0, atol=1e-12)  # target on the optical axis
    assert c[2] > 0
    # world up (+Z) looks up in the image (camera y down); world +X is to the right
    above = cam.world_to_camera(target[0] + [0, 0, 0.5], R, t)
    right = cam.world_to_camera(target[0] + [0.5, 0, 0], R, t)
    assert above[1] < 0 and right[0] > 0
    pts = np.random.default_rng(1).normal(size=(7, 3))
    np.testing.assert_allclose(cam.camera_to_world(cam.world_to_camera(pts, R, t), R, t), pts)


def test_roll_turns_the_image():
    eye, target = np.array([[0.0, -5.0, 1.0]]), np.array([[0.0, 0.0, 1.0]])
    R = cam.look_at(eye, target, roll=np.deg2rad(90))[0]
    up = cam.world_to_camera([0, 0, 2.0], R, -R @ eye[0])
    assert abs(up[1]) < 1e-9 and abs(up[0]) > 0.9  # "up" now points sideways


def standing(n=8, t=30):
    """Windows of a crude standing figure walking along +X (B, T, J, 3)."""
    z = np.linspace(0.05, 1.75, 21)
    pose = np.stack([np.zeros(21), np.linspace(-0.2, 0.2, 21), z], axis=-1)
    walk = np.linspace(0, 1.5, t)[:, None, None] * np.array([1.0, 0, 0])
    return np.broadcast_to(pose + walk, (n, t, 21, 3)).copy()


def test_random_cameras_ranges_and_subject_in_frame():
    rng = np.random.default_rng(3)
    w = standing(400)
    c = cam.sample_cameras(w, rng)
    assert c["R"].shape == (400, 3, 3) and c["t"].shape == (400, 30, 3)
    assert (c["focal"] >= 500).all() and (c["focal"] <= 1400).all()
    assert {tuple(s) for s in c["size"].astype(int)} == {(960, 540), (960, 720), (540, 960)}
    assert np.abs(c["center"] - c["size"] / 2).max() < 60
    eye = c["eye"]
    assert (eye[..., 2] >= 0.3).all() and (eye[..., 2] <= 2.5).all()
    subject = w[:, :, 0].mean(1)
    dist = np.linalg.norm(eye[:, 0] - subject, axis=-1)
    assert dist.min() > 1.5 and dist.max() < 9.0  # 2–8 m to the (jittered) aim point
    azimuth = np.arctan2(*(eye[:, 0, :2] - subject[:, :2]).T[::-1])
    assert np.histogram(azimuth, bins=8, range=(-np.pi, np.pi))[0].min() > 20  # all round
    pc = cam.world_to_camera(w, c["R"], c["t"])
    px = cam.project(pc, c["focal"], c["center"])
    frac = cam.in_frame_fraction(px, c["size"], pc[..., 2])
    assert np.mean(frac >= 0.9) > 0.97
    # roll within ±5°: the camera x axis stays near horizontal
    assert np.degrees(np.abs(np.arcsin(c["R"][:, 0, 2]))).max() < 5.01
    # some cameras follow the subject, the rest stay put
    moving = np.linalg.norm(eye[:, -1] - eye[:, 0], axis=-1) > 1.0
    assert 0.15 < moving.mean() < 0.45
