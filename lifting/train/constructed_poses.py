"""Seated, crouched and kneeling test clips constructed from real (validation) mocap.

The shared mocap has none of these poses. :func:`constructed_poses` bends real validation clips
(standing gestures and walks, so the arms and trunk move naturally) into them, keeping every
bone length; the lifter's evaluation runs them like any other clip to show what pose-space
augmentation buys. Poses:

- ``seated``: thighs about horizontal, feet where they were, trunk upright (:func:`bend`);
- ``sitting-down``: a smooth transition from standing to seated;
- ``crouched``: pelvis ~30 cm above the ankles, knees apart, trunk leaning forward;
- ``kneeling``: both knees on the floor, thighs vertical, shins flat behind (:func:`kneel`);
- ``kneeling-one``: the right knee down, the left foot planted forward (knee ~90°).
"""

from __future__ import annotations

import numpy as np

from ..mocap.dataset import MocapClip
from .augment import bend, kneel

KINDS = ("seated", "sitting-down", "crouched", "kneeling", "kneeling-one")


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
