"""Synthetic 2D: geometry of the batch, mirror augmentation, the noise model, eval sets."""

import numpy as np
import pytest

from lifting import skeleton as sk
from lifting.camera import project, unnormalize_screen
from lifting.mocap.dataset import MocapClip, load_split
from lifting.train.synth import apply_offsets, body_frame, make_batch, make_eval_set

FILES = ["bandai/dataset-1_walk_happy_001.bvh.gz", "cmu/007_03.bvh.gz"]


@pytest.fixture(scope="module")
def clips(mocap_dir):
    return load_split("synth-test", mocap_dir=mocap_dir, cache_dir=False, files=FILES)


@pytest.fixture(scope="module")
def windows(clips):
    rng = np.random.default_rng(0)
    out = []
    for _ in range(32):
        j = clips[rng.integers(len(clips))].joints
        s = rng.integers(0, len(j) - 60)
        out.append(j[s : s + 60])
    return np.stack(out)


def test_clean_batch_is_a_consistent_projection(windows):
    b = make_batch(windows, np.random.default_rng(1), noise=False, mirror_p=0.0)
    assert b["inputs"].shape == windows.shape and b["inputs"].dtype == np.float32
    assert b["root"].shape == (32, 60, 3) and b["focal"].shape == (32,)
    np.testing.assert_allclose(b["target"][:, :, 0], 0.0, atol=1e-6)
    assert (b["inputs"][..., 2] == 1).all()
    # re-projecting the camera-frame joints gives the inputs back
    cam = b["target"] + b["root"][:, :, None]
    px = project(cam, b["focal"], b["center"])
    back = unnormalize_screen(b["inputs"][..., :2], b["size"][:, 0], b["size"][:, 1])
    np.testing.assert_allclose(back, px, atol=0.05)
    # rigid motion: bone lengths in camera frame equal the world ones
    np.testing.assert_allclose(sk.bone_lengths(b["target"]), sk.bone_lengths(windows), atol=1e-4)
    assert (b["root"][..., 2] > 1.5).all()  # in front of the camera, metres away


def test_mirror_swaps_sides(windows):
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    plain = make_batch(windows, rng_a, noise=False, mirror_p=0.0)
    mirrored = make_batch(windows, rng_b, noise=False, mirror_p=1.0)
    # a mirrored pose's left leg is as long as the original right leg
    bl = sk.bone_lengths(plain["target"]).mean((0, 1))
    blm = sk.bone_lengths(mirrored["target"]).mean((0, 1))
    names = [sk.LIFT_JOINTS[c] for c, _ in sk.BONES]
    for i, n in enumerate(names):
        if n.startswith("l_"):
            np.testing.assert_allclose(blm[i], bl[names.index("r_" + n[2:])], atol=1e-4)

    # reflecting x while swapping the labels keeps a valid body: the left hip is still on the
    # subject's own left (a reflection without the swap would put it on the right)
    assert (handedness(plain["target"]) > 0).mean() > 0.95
    assert (handedness(mirrored["target"]) > 0).mean() > 0.95
    reflected_only = plain["target"] * np.array([-1.0, 1.0, 1.0], np.float32)
    assert (handedness(reflected_only) < 0).mean() > 0.95


def handedness(target):
    """Sign of (left hip - right hip) · (body up × body forward), any right-handed frame."""
    j = sk.JOINT_INDEX
    up = target[..., j["thorax"], :] - target[..., j["pelvis"], :]
    toes = target[..., [j["l_toe"], j["r_toe"]], :]
    forward = (toes - target[..., [j["l_ankle"], j["r_ankle"]], :]).mean(-2)
    side = target[..., j["l_hip"], :] - target[..., j["r_hip"], :]
    return np.einsum("...i,...i->...", side, np.cross(up, forward))


def test_noise_model_shape(windows):
    clean = make_batch(windows, np.random.default_rng(2), noise=False, mirror_p=0.0)
    noisy = make_batch(windows, np.random.default_rng(2), noise=True, mirror_p=0.0)
    np.testing.assert_array_equal(clean["target"], noisy["target"])  # same cameras
    conf = noisy["inputs"][..., 2]
    assert conf.min() >= 0 and conf.max() <= 1
    dropped = conf == 0
    assert 0.001 < dropped.mean() < 0.05
    assert (noisy["inputs"][..., :2][dropped] == 0).all()
    assert np.median(conf[~dropped]) > 0.85
    kept = ~dropped
    err = np.linalg.norm(noisy["inputs"][..., :2] - clean["inputs"][..., :2], axis=-1)[kept]
    # body ≈ 1.8 m; errors are a small fraction of the normalised body size but not zero
    body = np.ptp(clean["inputs"][..., :2], axis=2).max(-1)[..., None]
    rel = err / np.broadcast_to(body, kept.shape)[kept]
    assert 0.005 < np.median(rel) < 0.04
    assert np.percentile(rel, 99.9) > 0.08  # outliers and swaps exist
    # temporally correlated jitter: frame-to-frame changes smaller than independent noise
    diff = noisy["inputs"][..., :2] - clean["inputs"][..., :2]
    step = np.diff(diff, axis=1)
    both = kept[:, 1:] & kept[:, :-1]
    assert np.median(np.abs(step[both])) < 1.3 * np.median(np.abs(diff[:, 1:][both]))


def test_offsets_hook_moves_inputs_not_targets(windows):
    offsets = np.zeros((21, 3))
    offsets[sk.JOINT_INDEX["l_hip"]] = [0.0, 0.04, 0.0]  # 4 cm forward
    a = make_batch(windows, np.random.default_rng(3), noise=False, mirror_p=0.0)
    b = make_batch(windows, np.random.default_rng(3), noise=False, mirror_p=0.0, offsets=offsets)
    np.testing.assert_array_equal(a["target"], b["target"])
    moved = np.abs(a["inputs"] - b["inputs"]).max(axis=(0, 1, 3))
    assert moved[sk.JOINT_INDEX["l_hip"]] > 0 and moved[np.arange(21) != 4].max() == 0
    shifted = apply_offsets(windows, offsets)
    d = shifted[..., 4, :] - windows[..., 4, :]
    np.testing.assert_allclose(np.linalg.norm(d, axis=-1), 0.04, atol=1e-6)
    axes = body_frame(windows)
    assert (np.einsum("bti,bti->bt", d, axes[..., 1, :]) > 0.039).all()  # along "forward"


def test_body_frame_forward_matches_walking_direction(clips):
    walk = clips[1].joints  # CMU 007_03 walks
    axes = body_frame(walk[None])[0]
    travel = walk[-1, 0] - walk[0, 0]
    assert np.dot(axes[:, 1].mean(0), travel) > 0


def test_eval_set_is_deterministic_and_covers_every_frame(clips):
    a = make_eval_set(clips, window=60, seed=7)
    b = make_eval_set(clips, window=60, seed=7)
    c = make_eval_set(clips[:1], window=60, seed=7)
    assert sum(len(x) for x in a.target) == sum(len(x.joints) for x in clips)
    for x, y in zip(a.noisy, b.noisy, strict=True):
        np.testing.assert_array_equal(x, y)
    # a window's camera depends only on (seed, clip index, window index)
    np.testing.assert_array_equal(a.focal[a.clip == 0], c.focal)
    np.testing.assert_array_equal(a.noisy[0], c.noisy[0])
    d = make_eval_set(clips, window=60, seed=8)
    assert not np.allclose(a.focal, d.focal)
    assert list(a.source[:1]) == ["bandai"] and set(a.source) == {"bandai", "cmu"}
    assert len({float(f) for f in a.focal}) == len(a.focal)  # each window its own camera
    assert all((x[..., 2] == 1).all() for x in a.clean)
    assert all(np.abs(x[:, 0]).max() < 1e-6 for x in a.target)


def test_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="windows must be"):
        make_batch(np.zeros((2, 5, 17, 3)), np.random.default_rng(0))


def test_make_batch_on_a_synthetic_clip():
    joints = np.zeros((40, 21, 3), np.float32)
    joints[..., 2] = np.linspace(0.1, 1.7, 21)
    clip = MocapClip("x", "cmu", "stand", joints, 30.0)
    ev = make_eval_set([clip], window=20, seed=0)
    assert len(ev.clean) == 2 and all(np.isfinite(x).all() for x in ev.noisy)


def test_mediapipe_offsets_are_symmetric_and_applied(windows):
    from lifting.train.synth import MEDIAPIPE_OFFSETS, resolve_offsets

    mirrored = MEDIAPIPE_OFFSETS[sk.flip_permutation()] * [-1, 1, 1]
    np.testing.assert_allclose(mirrored, MEDIAPIPE_OFFSETS, atol=1e-9)
    hips = np.linalg.norm(MEDIAPIPE_OFFSETS[[1, 4]], axis=-1)
    assert (hips > 0.02).all() and (hips < 0.045).all()  # 26-41 mm measured (DESIGN.md §8)
    scaled = resolve_offsets("mediapipe", 50, np.random.default_rng(0))
    ratio = scaled[:, 1, 1] / MEDIAPIPE_OFFSETS[1, 1]
    assert ratio.min() >= 0.6 and ratio.max() <= 1.4 and ratio.std() > 0.1
    a = make_batch(windows, np.random.default_rng(4), noise=False, mirror_p=0.5)
    b = make_batch(
        windows, np.random.default_rng(4), noise=False, mirror_p=0.5, offsets="mediapipe"
    )
    np.testing.assert_array_equal(a["target"], b["target"])
    # the head moves most (face-derived), in the image by a few % of the body size
    shift = np.linalg.norm(a["inputs"][..., :2] - b["inputs"][..., :2], axis=-1).mean((0, 1))
    assert shift.argmax() == sk.JOINT_INDEX["head"]
    with pytest.raises(ValueError, match="offsets"):
        make_batch(windows, np.random.default_rng(4), offsets="blazepose")


def test_confidence_shaped_like_mediapipe_visibility(windows):
    b = make_batch(windows, np.random.default_rng(6), noise=True, mirror_p=0.0)
    conf = b["inputs"][..., 2]
    torso = conf[..., [sk.JOINT_INDEX[n] for n in ("pelvis", "l_hip", "thorax", "l_shoulder")]]
    arms = conf[..., [sk.JOINT_INDEX[n] for n in ("l_elbow", "r_wrist", "l_hand")]]
    assert np.median(torso[torso > 0]) > 0.97
    assert 0.6 < np.median(arms[arms > 0]) < np.median(torso[torso > 0])
    assert np.percentile(arms[arms > 0], 10) < 0.8


def test_some_windows_lack_the_extra_joints(windows):
    from lifting.train.synth import NoiseConfig

    cfg = NoiseConfig(drop_extras_p=0.5)
    b = make_batch(windows, np.random.default_rng(8), noise=True, noise_cfg=cfg)
    conf = b["inputs"][..., 2]
    extras_gone = (conf[:, :, sk.H36M17 :] == 0).all(axis=(1, 2))
    assert 0.2 < extras_gone.mean() < 0.8
    assert (conf[extras_gone][..., : sk.H36M17] > 0).mean() > 0.9


def test_joint_frames_are_orthonormal_and_follow_the_trunk(windows):
    from lifting.train.synth import UPPER_FRAME, joint_frames, trunk_frame

    frames = joint_frames(windows)
    assert frames.shape == (*windows.shape[:2], 21, 3, 3)
    eye = np.einsum("btjik,btjlk->btjil", frames, frames)
    np.testing.assert_allclose(eye, np.broadcast_to(np.eye(3), eye.shape), atol=1e-6)
    # rows (left, forward, up) with left = up × forward: a left-handed triple, det -1
    np.testing.assert_allclose(np.linalg.det(frames), -1.0, atol=1e-6)
    np.testing.assert_allclose(frames[:, :, UPPER_FRAME[0]], trunk_frame(windows), atol=1e-12)
    np.testing.assert_allclose(frames[:, :, sk.JOINT_INDEX["l_knee"]], body_frame(windows))
    # the trunk frame leans with the trunk: bend the upper body 60° forward
    lean = windows.copy()
    pelvis = lean[:, :, :1]
    axes = body_frame(windows)
    upper = list(UPPER_FRAME)
    rel = lean[:, :, upper] - pelvis
    up, fwd = axes[:, :, None, 2], axes[:, :, None, 1]
    h = np.einsum("btji,btki->btj", rel, up)[..., None]
    lean[:, :, upper] += h * (np.sin(np.pi / 3) * fwd - (1 - np.cos(np.pi / 3)) * up)
    tilted = trunk_frame(lean)[..., 2, :]  # trunk "up"
    assert np.median(np.einsum("bti,bti->bt", tilted, axes[..., 1, :])) > 0.5
