"""Seated, crouched and kneeling test clips constructed from real (validation) mocap.

The shared mocap has none of these poses. :func:`constructed_poses` bends real validation clips
(standing gestures and walks, so the arms and trunk move naturally) into them, keeping every
bone length; the lifter's evaluation runs them like any other clip to show what pose-space
augmentation buys. Poses:

- ``seated``: thighs about horizontal, feet where they were, trunk upright (:func:`bend`);
- ``sitting-down``: a smooth transition from standing to seated;
- ``crouched``: pelvis ~30 cm above the ankles, knees apart, trunk leaning forward;
- ``kneeling``: both knees on the floor, thighs vertical, shins flat behind;
- ``kneeling-one``: the right knee down, the left foot planted forward (knee ~90°).
"""

from __future__ import annotations

import numpy as np

from ..mocap.dataset import MocapClip
from .augment import LEGS, UP, UPPER, J, bend, body_axes, two_bone_ik

KNEE_ON_FLOOR = 0.05  # knee joint centre above the floor when kneeling, m
ANKLE_ON_FLOOR = 0.08  # ankle joint centre above the floor with the foot flat, m
TOE_ON_FLOOR = 0.035  # ball-of-foot joint above the floor, m
KINDS = ("seated", "sitting-down", "crouched", "kneeling", "kneeling-one")


def _lengths(w, side):
    hip, knee, ankle, toe = LEGS[side]
    return tuple(
        np.linalg.norm(w[..., a, :] - w[..., b, :], axis=-1)
        for a, b in ((knee, hip), (ankle, knee), (toe, ankle))
    )


def _floor_foot(ankle, forward, foot, toe_z=TOE_ON_FLOOR, direction=1.0):
    """Toe (…,3) ``foot`` m from the ankle along ±forward, down to ``toe_z`` where possible."""
    dz = np.clip(ankle[..., 2] - toe_z, 0.0, foot * 0.95)
    horizontal = np.sqrt(foot**2 - dz**2)
    return ankle + direction * forward * horizontal[..., None] - UP * dz[..., None]


def kneel(windows: np.ndarray, one_knee: bool = False) -> np.ndarray:
    """Kneeling poses (B, T, 21, 3) from world windows, bone lengths kept, floor at Z = 0."""
    w = np.asarray(windows, dtype=np.float64)
    _, forward = body_axes(w)
    hips_z = (w[..., J["l_hip"], 2] + w[..., J["r_hip"], 2]) / 2
    thigh = _lengths(w, "r")[0]
    drop = KNEE_ON_FLOOR + thigh - hips_z  # right thigh vertical, its knee on the floor
    out = w.copy()
    moved = [*UPPER, 0, J["l_hip"], J["r_hip"]]
    out[..., moved, 2] += drop[..., None]
    for side in ("l", "r"):
        hip, knee, ankle, toe = LEGS[side]
        l1, l2, lf = _lengths(w, side)
        h = out[..., hip, :]
        if side == "l" and one_knee:
            # foot planted forward: ankle below a knee one thigh length in front of the hip
            target = h + forward * l1[..., None]
            target[..., 2] = ANKLE_ON_FLOOR
            k, a = two_bone_ik(h, target, l1, l2, forward + UP)
            out[..., knee, :], out[..., ankle, :] = k, a
            out[..., toe, :] = _floor_foot(a, forward, lf)
            continue
        k = h - UP * l1[..., None]
        rise = np.clip(KNEE_ON_FLOOR + 0.03 - k[..., 2], -0.5 * l2, 0.5 * l2)
        a = k - forward * np.sqrt(l2**2 - rise**2)[..., None] + UP * rise[..., None]
        out[..., knee, :], out[..., ankle, :] = k, a
        out[..., toe, :] = _floor_foot(a, forward, lf, direction=-1.0)
    return out


def _pick_sources(clips, count: int):
    """Standing gesture clips first (in-place arm motion), then anything long enough."""
    gestures = [c for c in clips if any(k in c.action for k in ("wave", "raise"))]
    rest = [c for c in clips if c not in gestures]
    return sorted(gestures, key=lambda c: c.name)[:count] + sorted(rest, key=lambda c: c.name)


def constructed_poses(clips, *, per_kind: int = 4, frames: int = 90) -> list[MocapClip]:
    """Clips of :data:`KINDS` (``action`` = the kind) bent from the first suitable ``clips``.

    Deterministic: sources are chosen by name (standing gestures first); each kind uses
    ``per_kind`` clips, their first ``frames`` frames (whole clip if shorter).
    """
    sources = [c for c in _pick_sources(clips, per_kind) if len(c.joints) >= 10][:per_kind]
    out = []
    for clip in sources:
        w = np.asarray(clip.joints[:frames], dtype=np.float64)[None]
        t = w.shape[1]
        ramp = np.clip((np.arange(t) - 0.25 * t) / (0.5 * t), 0, 1)
        ramp = (ramp * ramp * (3 - 2 * ramp))[None]
        poses = {
            "seated": bend(w, np.ones((1, t)), "sit"),
            "sitting-down": bend(w, ramp, "sit"),
            "crouched": bend(w, np.ones((1, t)), "crouch"),
            "kneeling": kneel(w),
            "kneeling-one": kneel(w, one_knee=True),
        }
        for kind in KINDS:
            joints = poses[kind][0].astype(np.float32)
            name = f"constructed/{kind}/{clip.name}"
            out.append(MocapClip(name, clip.source, kind, joints, clip.fps))
    return sorted(out, key=lambda c: (KINDS.index(c.action), c.name))
