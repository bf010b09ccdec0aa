"""The armature Lift builds for a clip: bones over the lift joint layout, rest pose from the
clip's median bone lengths.

Rest pose: standing at the origin, facing -Y (Blender's front view), the subject's left on +X,
T-pose arms, legs straight, feet forward. Rolls follow the Blender/Rigify habit: a bone's local
x axis is its bending axis (the knee's and elbow's hinge), so bending is a rotation about x.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX as J
from ..skeleton import NUM_JOINTS
from .rest import RestSkeleton, TwistRef, matrix_from_x_hint

_HIPS = TwistRef("vector", ((J["r_hip"],), (J["l_hip"],)))
_TORSO = TwistRef("vector", ((J["r_hip"], J["r_shoulder"]), (J["l_hip"], J["l_shoulder"])))
_SHOULDERS = TwistRef("vector", ((J["r_shoulder"],), (J["l_shoulder"],)))
_CARRY = TwistRef("carry")


def _limb(a, b, c):
    return TwistRef("normal", (J[a], J[b], J[c]))


_LEG_L, _LEG_R = _limb("l_hip", "l_knee", "l_ankle"), _limb("r_hip", "r_knee", "r_ankle")
_ARM_L = _limb("l_shoulder", "l_elbow", "l_wrist")
_ARM_R = _limb("r_shoulder", "r_elbow", "r_wrist")
_X, _Y, _Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)

# name, head joint, tail joint, parent bone, twist reference, x axis hint at rest
LIFT_BONES: tuple[tuple[str, str, str, str | None, TwistRef, tuple], ...] = (
    ("hips", "pelvis", "spine", None, _HIPS, _X),
    ("spine", "spine", "thorax", "hips", _TORSO, _X),
    ("neck", "thorax", "neck", "spine", _SHOULDERS, _X),
    ("head", "neck", "head", "neck", _SHOULDERS, _X),
    ("shoulder.L", "thorax", "l_shoulder", "spine", _CARRY, (0.0, -1.0, 0.0)),
    ("upper_arm.L", "l_shoulder", "l_elbow", "shoulder.L", _ARM_L, (0.0, 0.0, -1.0)),
    ("forearm.L", "l_elbow", "l_wrist", "upper_arm.L", _ARM_L, (0.0, 0.0, -1.0)),
    ("hand.L", "l_wrist", "l_hand", "forearm.L", _CARRY, (0.0, 0.0, -1.0)),
    ("shoulder.R", "thorax", "r_shoulder", "spine", _CARRY, _Y),
    ("upper_arm.R", "r_shoulder", "r_elbow", "shoulder.R", _ARM_R, _Z),
    ("forearm.R", "r_elbow", "r_wrist", "upper_arm.R", _ARM_R, _Z),
    ("hand.R", "r_wrist", "r_hand", "forearm.R", _CARRY, _Z),
    ("thigh.L", "l_hip", "l_knee", "hips", _LEG_L, _X),
    ("shin.L", "l_knee", "l_ankle", "thigh.L", _LEG_L, _X),
    ("foot.L", "l_ankle", "l_toe", "shin.L", _CARRY, _X),
    ("thigh.R", "r_hip", "r_knee", "hips", _LEG_R, _X),
    ("shin.R", "r_knee", "r_ankle", "thigh.R", _LEG_R, _X),
    ("foot.R", "r_ankle", "r_toe", "shin.R", _CARRY, _X),
)
ROOT_BONE = "hips"

# Segments whose rest length comes from the clip: (joint a, joint b), symmetric pairs averaged.
_SYMMETRIC = (
    (("pelvis", "l_hip"), ("pelvis", "r_hip")),
    (("l_hip", "l_knee"), ("r_hip", "r_knee")),
    (("l_knee", "l_ankle"), ("r_knee", "r_ankle")),
    (("l_ankle", "l_toe"), ("r_ankle", "r_toe")),
    (("thorax", "l_shoulder"), ("thorax", "r_shoulder")),
    (("l_shoulder", "l_elbow"), ("r_shoulder", "r_elbow")),
    (("l_elbow", "l_wrist"), ("r_elbow", "r_wrist")),
    (("l_wrist", "l_hand"), ("r_wrist", "r_hand")),
)
_CENTRAL = (("pelvis", "spine"), ("spine", "thorax"), ("thorax", "neck"), ("neck", "head"))
_FOOT_DIR = np.array([0.0, -0.87, -0.5])  # heel-high ankle to the ball of the foot, forwards


def median_lengths(joints: np.ndarray) -> dict[tuple[str, str], float]:
    """Median segment lengths (metres) of a clip ``joints (T, 21, 3)``; left/right averaged."""
    joints = np.asarray(joints, dtype=np.float64)

    def med(a, b):
        d = np.linalg.norm(joints[:, J[b]] - joints[:, J[a]], axis=-1)
        d = d[np.isfinite(d)]
        return float(np.median(d)) if len(d) else 0.0

    out = {seg: med(*seg) for seg in _CENTRAL}
    for left, right in _SYMMETRIC:
        out[left] = out[right] = 0.5 * (med(*left) + med(*right))
    return out


def rest_joints(lengths: dict[tuple[str, str], float], ankle_height: float = 0.08) -> np.ndarray:
    """Lift joints (21, 3) in the rest pose for segment ``lengths``, feet on Z = 0."""
    L = {k: max(v, 1e-3) for k, v in lengths.items()}
    p = np.zeros((NUM_JOINTS, 3))
    leg = L[("l_hip", "l_knee")] + L[("l_knee", "l_ankle")]
    p[J["pelvis"]] = (0.0, 0.0, ankle_height + leg)
    for side, sign in (("l", 1.0), ("r", -1.0)):
        hip = p[J["pelvis"]] + (sign * L[("pelvis", f"{side}_hip")], 0.0, 0.0)
        p[J[f"{side}_hip"]] = hip
        p[J[f"{side}_knee"]] = hip - (0.0, 0.0, L[("l_hip", "l_knee")])
        p[J[f"{side}_ankle"]] = p[J[f"{side}_knee"]] - (0.0, 0.0, L[("l_knee", "l_ankle")])
        p[J[f"{side}_toe"]] = (
            p[J[f"{side}_ankle"]] + _FOOT_DIR / np.linalg.norm(_FOOT_DIR) * L[("l_ankle", "l_toe")]
        )
    for a, b in _CENTRAL:
        p[J[b]] = p[J[a]] + (0.0, 0.0, L[(a, b)])
    for side, sign in (("l", 1.0), ("r", -1.0)):
        prev = J["thorax"]
        for a, b in _ARM_SEGMENTS:
            key = (a if a == "thorax" else f"l_{a}", f"l_{b}")
            p[J[f"{side}_{b}"]] = p[prev] + (sign * L[key], 0.0, 0.0)
            prev = J[f"{side}_{b}"]
    return p


_ARM_SEGMENTS = (
    ("thorax", "shoulder"),
    ("shoulder", "elbow"),
    ("elbow", "wrist"),
    ("wrist", "hand"),
)


def fill_missing(joints: np.ndarray) -> np.ndarray:
    """``joints (T, J, 3)`` with non-finite frames of each joint filled by linear interpolation
    in time (held constant before the first and after the last finite frame).

    Raises ValueError naming a joint that is never finite.
    """
    out = np.array(joints, dtype=np.float64, copy=True)
    ok = np.isfinite(out).all(axis=-1)
    if ok.all():
        return out
    t = np.arange(len(out))
    for j in range(out.shape[1]):
        if not ok[:, j].any():
            raise ValueError(f"joint {j} has no position in any frame")
        if not ok[:, j].all():
            for axis in range(3):
                out[:, j, axis] = np.interp(t, t[ok[:, j]], out[ok[:, j], j, axis])
    return out


def lift_rest_skeleton(joints: np.ndarray) -> RestSkeleton:
    """The lift armature's rest skeleton for a clip ``joints (T, 21, 3)`` (world, metres).

    Bone lengths are the clip's median segment lengths (left and right averaged); the ankle
    height is the clip's median lowest-ankle height, clamped to 3–15 cm.
    """
    joints = np.asarray(joints, dtype=np.float64)
    ankles = joints[:, [J["l_ankle"], J["r_ankle"]], 2].min(axis=1)
    ankles = ankles[np.isfinite(ankles)]
    ankle = float(np.clip(np.median(ankles), 0.03, 0.15)) if len(ankles) else 0.08
    return skeleton_from_rest_joints(rest_joints(median_lengths(joints), ankle))


def skeleton_from_rest_joints(rest: np.ndarray) -> RestSkeleton:
    """:data:`LIFT_BONES` placed on rest joint positions ``rest (21, 3)``."""
    names = tuple(b[0] for b in LIFT_BONES)
    head = np.array([J[b[1]] for b in LIFT_BONES])
    tail = np.array([J[b[2]] for b in LIFT_BONES])
    parents = np.array([names.index(b[3]) if b[3] else -1 for b in LIFT_BONES])
    hints = np.array([b[5] for b in LIFT_BONES], dtype=np.float64)
    matrices = matrix_from_x_hint(rest[head], rest[tail], hints)
    return RestSkeleton(
        names=names,
        parents=parents,
        heads=rest[head],
        tails=rest[tail],
        matrices=matrices,
        head_joint=head,
        tail_joint=tail,
        twist=tuple(b[4] for b in LIFT_BONES),
    )
