"""Synthetic 2D training inputs: mocap windows → random virtual cameras → MediaPipe-like 2D.

:func:`make_batch` takes world windows (B, T, 21, 3) (metres, Z up) and returns model inputs
(normalised screen 2D + confidence, VideoPose3D normalisation) and camera-frame targets.

Noise model (``noise=True``), shaped like MediaPipe BlazePose's errors, all scaled to the 2D
body size (per-frame bounding-box diagonal of the joints, px):

- per-joint Gaussian jitter (``JITTER`` × body size; torso small, extremities and the joints
  MediaPipe only infers — head top, neck, thorax, hand ends, toes — larger), temporally
  correlated (AR(1)), with a per-window noise level (some videos are worse than others);
- self-occluded joints (behind the body from the camera) get more jitter and lower confidence;
- occasional outliers: bursts of a few frames where a joint jumps by 5–30 % of body size;
- dropped joints (confidence 0) and, rarely, whole dropped frames (no detection); in 5 % of
  windows the four extra joints (toes, hand ends) are missing throughout, as in Human3.6M-17
  keypoint files;
- rare left/right confusion of a limb (legs or arms swap for a few frames);
- confidence in [0, 1] like MediaPipe visibility: ~0.9–1 for clear joints, lower for occluded
  or noisy ones, near 0 outside the frame; exactly 0 for dropped joints.

Joints with confidence 0 have normalised 2D = (0, 0) (inference should do the same with
undetected joints). ``offsets`` models MediaPipe's systematic landmark placement (its hip
landmarks sit on the body surface, not at the joint centres; its head/neck/thorax come from face
landmarks): metres in each joint's frame (x = subject's left, y = forward, z = up; the hips'
frame for the legs, the trunk's for the upper body), added to the joints that are projected
(the inputs), not to the targets. ``offsets="mediapipe"`` uses :data:`MEDIAPIPE_OFFSETS`
(measured by bench/mp_offsets.py on renders of training mocap), scaled per window by a random
factor in :data:`OFFSET_SCALE`. The noise model's jitter, temporal
correlation, confidence and swap rate were also checked against that measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from ..camera import normalize_screen, project, sample_cameras, world_to_camera
from ..skeleton import H36M17, JOINT_INDEX, LIFT_JOINTS, NUM_JOINTS, mirror

ROOT = JOINT_INDEX["pelvis"]

# Jitter std per joint (per axis), as a fraction of the 2D body size. Measured residual std of
# MediaPipe on Blender renders of training mocap after removing the systematic offsets
# (bench/mp_offsets.py): 0.005–0.017; set a little above (real footage is harder than renders).
_JITTER_BY_NAME = {
    "pelvis": 0.006,
    "r_hip": 0.009,
    "l_hip": 0.009,
    "spine": 0.008,
    "thorax": 0.011,
    "neck": 0.012,
    "head": 0.015,
    "l_shoulder": 0.011,
    "r_shoulder": 0.011,
    "r_knee": 0.011,
    "l_knee": 0.011,
    "l_elbow": 0.015,
    "r_elbow": 0.015,
    "r_ankle": 0.011,
    "l_ankle": 0.011,
    "l_wrist": 0.014,
    "r_wrist": 0.014,
    "r_toe": 0.012,
    "l_toe": 0.012,
    "l_hand": 0.015,
    "r_hand": 0.015,
}
JITTER = np.array([_JITTER_BY_NAME[n] for n in LIFT_JOINTS])

# Confidence of a clearly visible joint is 1 - scale * E with E ~ Exp(1) drawn per window and
# joint (slowly varying): MediaPipe visibility measured on renders has median ~1.0 on the torso,
# 0.89-0.96 (10th percentile 0.68-0.87) on legs, 0.81-0.99 (0.35-0.61) on arms.
_CONF_SCALE = {"torso": 0.003, "legs": 0.07, "arms": 0.1}
_ARMS = ("elbow", "wrist", "hand")
_LEGS = ("knee", "ankle", "toe")
CONF_SCALE = np.array(
    [
        _CONF_SCALE["arms" if n.endswith(_ARMS) else "legs" if n.endswith(_LEGS) else "torso"]
        for n in LIFT_JOINTS
    ]
)

# Systematic placement of MediaPipe's lift joints relative to the mocap joints, metres in each
# joint's frame (:func:`joint_frames`: hips' frame for pelvis and legs, trunk frame for spine,
# head and arms; rows left, forward, up), left/right symmetrised. Fitted by bench/mp_offsets.py
# on 192 Blender-rendered frames of 4 TRAINING clips (anny body, 4 views): e.g. BlazePose hips
# sit ~26 mm forward/down of the hip joint centres, its head/neck/thorax (built from face
# landmarks) 44-93 mm in front of the mocap's. Use with ``make_batch(..., offsets="mediapipe")``.
MEDIAPIPE_OFFSETS = np.array(
    [
        (+0.000, +0.018, -0.018),  # pelvis
        (-0.002, +0.018, -0.019),  # r_hip
        (-0.006, -0.009, +0.002),  # r_knee
        (-0.016, +0.005, +0.029),  # r_ankle
        (+0.002, +0.018, -0.019),  # l_hip
        (+0.006, -0.009, +0.002),  # l_knee
        (+0.016, +0.005, +0.029),  # l_ankle
        (+0.000, +0.012, -0.039),  # spine
        (+0.000, +0.044, -0.021),  # thorax
        (+0.000, +0.075, -0.009),  # neck
        (+0.000, +0.093, -0.036),  # head
        (+0.017, +0.014, -0.005),  # l_shoulder
        (+0.008, +0.017, -0.005),  # l_elbow
        (+0.003, +0.006, -0.006),  # l_wrist
        (-0.017, +0.014, -0.005),  # r_shoulder
        (-0.008, +0.017, -0.005),  # r_elbow
        (-0.003, +0.006, -0.006),  # r_wrist
        (+0.023, -0.008, +0.016),  # r_toe
        (-0.023, -0.008, +0.016),  # l_toe
        (-0.007, -0.001, +0.002),  # l_hand
        (+0.007, -0.001, +0.002),  # r_hand
    ]
)
OFFSET_SCALE = (0.6, 1.4)  # per-window random scale of MEDIAPIPE_OFFSETS (bodies differ)

# Limb groups that MediaPipe sometimes swaps between left and right.
_SWAPS = (
    (("l_knee", "l_ankle", "l_toe"), ("r_knee", "r_ankle", "r_toe")),
    (("l_elbow", "l_wrist", "l_hand"), ("r_elbow", "r_wrist", "r_hand")),
)
SWAP_GROUPS = tuple(
    (np.array([JOINT_INDEX[n] for n in a]), np.array([JOINT_INDEX[n] for n in b]))
    for a, b in _SWAPS
)


@dataclass
class NoiseConfig:
    """Noise-model knobs (defaults are the training settings)."""

    level_sigma: float = 0.4  # per-window log-normal spread of the jitter level
    ar: tuple = (0.6, 0.95)  # AR(1) coefficient range (measured lag-1: 0.78-0.93)
    occluded_extra: float = 1.8  # jitter factor for self-occluded joints
    occluded_depth: float = 0.10  # m behind the pelvis (camera depth) counted as occluded
    outlier_p: float = 0.003  # per joint-frame chance an outlier burst starts
    outlier_len: int = 4  # frames per burst
    drop_p: float = 0.005  # per joint-frame chance of a dropped joint
    drop_frame_p: float = 0.003  # per frame chance of a dropped detection (all joints)
    swap_p: float = 0.1  # per window chance of a left/right limb confusion (~1 % of frames)
    swap_len: tuple = (3, 30)  # frames of confusion
    drop_extras_p: float = 0.05  # per window: toes and hand ends missing (Human3.6M-17 input)


def body_frame(windows: np.ndarray) -> np.ndarray:
    """Per-frame body axes (B, T, 3, 3) rows = (left, forward, up) in the world (Z up)."""
    left = windows[..., JOINT_INDEX["l_hip"], :] - windows[..., JOINT_INDEX["r_hip"], :]
    left = left - left[..., 2:3] * np.array([0.0, 0.0, 1.0])
    left /= np.maximum(np.linalg.norm(left, axis=-1, keepdims=True), 1e-6)
    up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), left.shape)
    forward = np.cross(left, up)  # right-handed: left = up × forward
    return np.stack([left, forward, up], axis=-2)


# Joints whose offsets live in the trunk's frame (shoulders, spine direction); the others
# (pelvis, legs) in the hips' horizontal frame.
UPPER_FRAME = tuple(
    JOINT_INDEX[n]
    for n in LIFT_JOINTS
    if n in ("spine", "thorax", "neck", "head")
    or n.endswith(("shoulder", "elbow", "wrist", "hand"))
)


def trunk_frame(windows: np.ndarray) -> np.ndarray:
    """Per-frame trunk axes (B, T, 3, 3) rows = (left, forward, up): up along pelvis→thorax,
    left along the shoulders (made orthogonal), forward = left × up."""
    up = windows[..., JOINT_INDEX["thorax"], :] - windows[..., JOINT_INDEX["pelvis"], :]
    up /= np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-6)
    left = windows[..., JOINT_INDEX["l_shoulder"], :] - windows[..., JOINT_INDEX["r_shoulder"], :]
    left = left - np.einsum("...i,...i->...", left, up)[..., None] * up
    left /= np.maximum(np.linalg.norm(left, axis=-1, keepdims=True), 1e-6)
    return np.stack([left, np.cross(left, up), up], axis=-2)


def joint_frames(windows: np.ndarray) -> np.ndarray:
    """Per-joint offset frames (B, T, J, 3, 3): trunk frame for UPPER_FRAME joints, else the
    hips' horizontal frame (:func:`body_frame`)."""
    frames = np.repeat(body_frame(windows)[..., None, :, :], NUM_JOINTS, axis=-3)
    frames[..., list(UPPER_FRAME), :, :] = trunk_frame(windows)[..., None, :, :]
    return frames


def apply_offsets(windows: np.ndarray, offsets: np.ndarray | None) -> np.ndarray:
    """Joints (B,T,J,3) moved by ``offsets`` (J,3) or per window (B,J,3), metres in each
    joint's frame (:func:`joint_frames`: left, forward, up) (None: unchanged)."""
    if offsets is None:
        return windows
    axes = joint_frames(windows)  # (B,T,J,3,3)
    off = np.broadcast_to(np.asarray(offsets, dtype=np.float64), (len(windows), NUM_JOINTS, 3))
    return windows + np.einsum("bjk,btjkd->btjd", off, axes)


def resolve_offsets(offsets, batch: int, rng) -> np.ndarray | None:
    """``None`` | ``"mediapipe"`` (MEDIAPIPE_OFFSETS times a per-window factor drawn from
    OFFSET_SCALE; exactly 1 without ``rng``) | an array (J,3) or (B,J,3) → None or (B,J,3)."""
    if offsets is None:
        return None
    if isinstance(offsets, str):
        if offsets != "mediapipe":
            raise ValueError(f"offsets must be None, 'mediapipe' or an array, not {offsets!r}")
        scale = np.ones(batch) if rng is None else rng.uniform(*OFFSET_SCALE, batch)
        return MEDIAPIPE_OFFSETS[None] * scale[:, None, None]
    return np.broadcast_to(np.asarray(offsets, dtype=np.float64), (batch, NUM_JOINTS, 3))


def project_windows(windows: np.ndarray, cams: dict, offsets=None):
    """Camera-frame joints (B,T,J,3) of the targets and pixel 2D (B,T,J,2) of the inputs."""
    cam = world_to_camera(windows, cams["R"], cams["t"])
    shown = cam
    if offsets is not None:
        shown = world_to_camera(apply_offsets(windows, offsets), cams["R"], cams["t"])
    return cam, project(shown, cams["focal"], cams["center"]), shown[..., 2]


def _ar1(shape, rng, a: float) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 1 of ``shape``."""
    burn = 24  # a**24 < 0.02: start from the stationary distribution
    white = rng.standard_normal((shape[0], shape[1] + burn, *shape[2:]))
    return lfilter([np.sqrt(1 - a * a)], [1.0, -a], white, axis=1)[:, burn:]


def _bursts(mask: np.ndarray, length: int) -> np.ndarray:
    """Extend True entries of (B,T,J) forward in time to bursts of ``length`` frames."""
    out = mask.copy()
    for k in range(1, length):
        out[:, k:] |= mask[:, :-k]
    return out


def add_noise(px: np.ndarray, depth: np.ndarray, size: np.ndarray, rng, cfg: NoiseConfig):
    """MediaPipe-shaped noise on pixel 2D (B,T,J,2) → (noisy px, confidence (B,T,J))."""
    b, t, j, _ = px.shape
    extent = px.max(axis=2) - px.min(axis=2)
    scale = np.linalg.norm(extent, axis=-1)[..., None]  # (B,T,1) body size px
    level = np.exp(rng.normal(0.0, cfg.level_sigma, (b, 1, 1)))
    occluded = depth - depth[..., ROOT : ROOT + 1] > cfg.occluded_depth
    sigma = scale * JITTER * level * np.where(occluded, cfg.occluded_extra, 1.0)
    a = rng.uniform(*cfg.ar)
    noise = _ar1((b, t, j, 2), rng, a) * sigma[..., None]
    wobble = np.exp(0.4 * _ar1((b, t, j), rng, 0.9))  # slow changes of visibility
    conf = 1.0 - CONF_SCALE * rng.exponential(1.0, (b, 1, j)) * wobble
    conf = np.where(occluded, conf * rng.uniform(0.6, 0.95, (b, 1, j)), conf)
    conf -= np.clip(np.abs(noise).max(-1) / scale, 0, 0.3)  # noisier → less confident
    # outlier bursts
    starts = rng.random((b, t, j)) < cfg.outlier_p
    bursts = _bursts(starts, cfg.outlier_len)
    if bursts.any():
        jump = rng.normal(0.0, 1.0, (b, 1, j, 2))
        jump *= rng.uniform(0.05, 0.3, (b, 1, j, 1)) / np.linalg.norm(jump, axis=-1, keepdims=True)
        noise += np.where(bursts[..., None], jump * scale[..., None], 0.0)
        conf = np.where(bursts, conf * rng.uniform(0.3, 0.9, (b, t, j)), conf)
    noisy = px + noise
    _swap_limbs(noisy, conf, rng, cfg)
    # out of frame: MediaPipe's visibility drops towards 0
    w, h = size[:, 0, None, None], size[:, 1, None, None]
    outside = (
        (noisy[..., 0] < 0) | (noisy[..., 0] >= w) | (noisy[..., 1] < 0) | (noisy[..., 1] >= h)
    )
    conf = np.where(outside, rng.uniform(0.0, 0.3, (b, t, j)), conf)
    dropped = rng.random((b, t, j)) < cfg.drop_p
    dropped |= (rng.random((b, t, 1)) < cfg.drop_frame_p) | (depth < 0.1)
    dropped[rng.random(b) < cfg.drop_extras_p, :, H36M17:] = True
    conf = np.where(dropped, 0.0, np.clip(conf, 0.01, 1.0))
    return noisy, conf


def _swap_limbs(px: np.ndarray, conf: np.ndarray, rng, cfg: NoiseConfig) -> None:
    """In place: for a few windows swap a left/right limb group for a span of frames."""
    b, t = px.shape[:2]
    for i in np.flatnonzero(rng.random(b) < cfg.swap_p):
        left, right = SWAP_GROUPS[rng.integers(len(SWAP_GROUPS))]
        n = int(rng.integers(cfg.swap_len[0], cfg.swap_len[1] + 1))
        s = int(rng.integers(0, max(1, t - n + 1)))
        sl = slice(s, s + n)
        px[i, sl, left], px[i, sl, right] = px[i, sl, right].copy(), px[i, sl, left].copy()
        conf[i, sl, left] *= 0.8
        conf[i, sl, right] *= 0.8


def render_inputs(windows, cams, rng, *, noise: bool, offsets=None, noise_cfg=None) -> dict:
    """Project world windows through given cameras (see :func:`make_batch` for the output)."""
    offsets = resolve_offsets(offsets, len(windows), rng)
    cam, px, depth = project_windows(windows, cams, offsets)
    if noise:
        px, conf = add_noise(px, depth, cams["size"], rng, noise_cfg or NoiseConfig())
    else:
        conf = np.ones(px.shape[:-1])
    xy = normalize_screen(px, cams["size"][:, 0], cams["size"][:, 1])
    xy = np.where(conf[..., None] > 0, xy, 0.0)
    inputs = np.concatenate([xy, conf[..., None]], axis=-1).astype(np.float32)
    root = cam[:, :, ROOT]
    return {
        "inputs": inputs,
        "target": (cam - root[:, :, None]).astype(np.float32),
        "root": root.astype(np.float32),
        "focal": cams["focal"].astype(np.float32),
        "center": cams["center"].astype(np.float32),
        "size": cams["size"].astype(np.float32),
    }


def make_batch(
    clips_windows: np.ndarray,
    rng: np.random.Generator,
    *,
    noise: bool = True,
    mirror_p: float = 0.5,
    offsets: np.ndarray | str | None = None,
    noise_cfg: NoiseConfig | None = None,
    follow_p: float = 0.3,
) -> dict:
    """Synthetic 2D inputs and camera-frame targets from world windows (B, T, 21, 3).

    Returns float32 arrays: ``inputs`` (B,T,21,3) normalised screen x, y + confidence;
    ``target`` (B,T,21,3) camera frame (x right, y down, z forward) metres, root-relative
    (pelvis = 0); ``root`` (B,T,3) camera-frame pelvis, metres; ``focal`` (B,) px;
    ``center`` (B,2) px; ``size`` (B,2) w, h px. Each window gets its own random camera
    (:func:`lifting.camera.sample_cameras`). With probability ``mirror_p`` a window is mirrored
    (left/right swapped and x flipped, in inputs and targets alike). ``offsets``: None,
    "mediapipe" or body-frame metres (J,3) / (B,J,3), applied to the inputs only.
    """
    windows = np.asarray(clips_windows, dtype=np.float64)
    if windows.ndim != 4 or windows.shape[2] != NUM_JOINTS:
        raise ValueError(f"windows must be (B, T, {NUM_JOINTS}, 3), got {windows.shape}")
    flip = rng.random(len(windows)) < mirror_p
    if flip.any():
        windows = windows.copy()
        windows[flip] = mirror(windows[flip], axis=0)
    cams = sample_cameras(windows, rng, follow_p=follow_p)
    return render_inputs(windows, cams, rng, noise=noise, offsets=offsets, noise_cfg=noise_cfg)


@dataclass
class EvalSet:
    """Validation windows, each through its own seeded camera; lists hold (T_i, ...) arrays.

    ``clean``/``noisy`` inputs (T_i,21,3), ``target`` (T_i,21,3) root-relative camera metres,
    ``root`` (T_i,3); per window ``focal`` (N,), ``size`` (N,2), ``clip`` (N,) clip index,
    ``start`` (N,) first frame, ``source``/``action`` (N,) str.
    """

    clean: list
    noisy: list
    target: list
    root: list
    focal: np.ndarray
    size: np.ndarray
    clip: np.ndarray
    start: np.ndarray
    source: np.ndarray
    action: np.ndarray


def make_eval_set(clips, *, window: int = 120, seed: int = 0, offsets=None) -> EvalSet:
    """Cut every clip into windows of about ``window`` frames (every frame used once; a clip
    splits into round(T / window) near-equal parts) and render each through its own camera.

    Deterministic: window k of clip c uses ``default_rng([seed, c, k])`` for its camera and
    ``default_rng([seed, c, k, 1])`` for its noise, whatever else is in ``clips``.
    """
    offsets = resolve_offsets(offsets, 1, None)  # deterministic: "mediapipe" at scale 1
    out = {k: [] for k in ("clean", "noisy", "target", "root", "focal", "size", "clip", "start")}
    meta = {"source": [], "action": []}
    for c, clip in enumerate(clips):
        joints = np.asarray(clip.joints, dtype=np.float64)
        n = max(1, round(len(joints) / window))
        bounds = np.linspace(0, len(joints), n + 1).round().astype(int)
        for k in range(n):
            w = joints[None, bounds[k] : bounds[k + 1]]
            cams = sample_cameras(w, np.random.default_rng([seed, c, k]), follow_p=0.0)
            clean = render_inputs(w, cams, None, noise=False, offsets=offsets)
            noise_rng = np.random.default_rng([seed, c, k, 1])
            noisy = render_inputs(w, cams, noise_rng, noise=True, offsets=offsets)
            out["clean"].append(clean["inputs"][0])
            out["noisy"].append(noisy["inputs"][0])
            out["target"].append(clean["target"][0])
            out["root"].append(clean["root"][0])
            out["focal"].append(clean["focal"][0])
            out["size"].append(clean["size"][0])
            out["clip"].append(c)
            out["start"].append(bounds[k])
            meta["source"].append(clip.source)
            meta["action"].append(clip.action)
    return EvalSet(
        clean=out["clean"],
        noisy=out["noisy"],
        target=out["target"],
        root=out["root"],
        focal=np.array(out["focal"], np.float32),
        size=np.array(out["size"], np.float32).reshape(-1, 2),
        clip=np.array(out["clip"], np.int64),
        start=np.array(out["start"], np.int64),
        source=np.array(meta["source"]),
        action=np.array(meta["action"]),
    )
