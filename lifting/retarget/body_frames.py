"""Body-part frames seen in lift joints, for retargeting onto rigs of any rest pose and roll.

Every mapped role gets a frame (3×3, columns x, y, z) built from joint positions: x along the
part's own segment (e.g. hip → knee), y towards a reference that fixes its twist (the knee's
hinge axis, the line between the hips ...). The same function runs on the target's rest joints
and on the motion, so ``D = F_motion @ F_restᵀ`` is the part's world rotation away from the
target's rest pose, whatever the target's rest pose (A or T), bone directions or rolls.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX as J
from .bonemap import BoneMap
from .rigdesc import RigDescription
from .rotations import normalize, perpendicular

# Below sin(5°) a limb is straight and its bend says nothing; above sin(20°) it is trusted.
_STRAIGHT = (0.087, 0.342)


def frame(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Frames (..., 3, 3): x along ``primary``, y towards ``secondary`` (both (..., 3))."""
    x = normalize(primary)
    y = normalize(perpendicular(secondary, x))
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def _hinge(a, b, c, fallback):
    """Hinge axis (..., 3) of the joint at ``b``: the bend plane's normal, blended towards the
    unit ``fallback`` where the limb is nearly straight."""
    e1, e2 = b - a, c - b
    n = np.cross(e1, e2)
    s = np.linalg.norm(n, axis=-1) / np.maximum(
        np.linalg.norm(e1, axis=-1) * np.linalg.norm(e2, axis=-1), 1e-12
    )
    w = np.clip((s - _STRAIGHT[0]) / (_STRAIGHT[1] - _STRAIGHT[0]), 0.0, 1.0)[..., None]
    return w * normalize(n) + (1.0 - w) * normalize(fallback)


def role_frames(x: np.ndarray) -> dict[str, np.ndarray]:
    """Frames (..., 3, 3) of every role in :data:`bonemap.ROLES` from lift joints (..., 21, 3)."""
    x = np.asarray(x, dtype=np.float64)

    def p(name):
        return x[..., J[name], :]

    hips_side = p("l_hip") - p("r_hip")
    shoulder_side = p("l_shoulder") - p("r_shoulder")
    up_low, up_high = p("spine") - p("pelvis"), p("thorax") - p("spine")
    fwd_low = np.cross(hips_side, up_low)
    fwd_high = np.cross(shoulder_side, up_high)
    tiny_low, tiny_high = 1e-3 * normalize(up_low), 1e-3 * normalize(up_high)
    out = {
        "hips": frame(up_low, hips_side),
        "spine": frame(up_low, normalize(hips_side) + normalize(shoulder_side)),
        "chest": frame(up_high, shoulder_side),
        "neck": frame(p("neck") - p("thorax"), shoulder_side),
        "head": frame(p("head") - p("neck"), shoulder_side),
    }
    out["root"] = out["hips"]
    for side in ("L", "R"):
        s = side.lower()
        sh, el, wr, hand = p(f"{s}_shoulder"), p(f"{s}_elbow"), p(f"{s}_wrist"), p(f"{s}_hand")
        arm = _hinge(sh, el, wr, np.cross(el - sh, fwd_high) + tiny_high)
        hip, knee, ankle, toe = p(f"{s}_hip"), p(f"{s}_knee"), p(f"{s}_ankle"), p(f"{s}_toe")
        leg = _hinge(hip, knee, ankle, np.cross(fwd_low, knee - hip) + tiny_low)
        out[f"shoulder.{side}"] = frame(sh - p("thorax"), up_high)
        out[f"upper_arm.{side}"] = frame(el - sh, arm)
        out[f"forearm.{side}"] = frame(wr - el, arm)
        out[f"hand.{side}"] = frame(hand - wr, arm)
        out[f"thigh.{side}"] = frame(knee - hip, leg)
        out[f"shin.{side}"] = frame(ankle - knee, leg)
        out[f"foot.{side}"] = frame(toe - ankle, leg)
        out[f"toe.{side}"] = out[f"foot.{side}"]
    return out


def rest_lift_joints(rig: RigDescription, bonemap: BoneMap) -> np.ndarray:
    """Where the target's rest pose has each lift joint: (21, 3), armature space.

    Pelvis = between the thigh heads; spine = the chest bone's head (the torso bends there);
    thorax = the neck's head; neck = the head bone's head; head = the head bone's tail;
    limb joints at the heads of the next bone; hand and toe ends at tails (or the toe's head).
    """
    b = {role: rig.index(name) for role, name in bonemap.bones.items() if name}
    x = np.full((len(J), 3), np.nan)
    head, tail = rig.heads, rig.tails
    x[J["pelvis"]] = 0.5 * (head[b["thigh.L"]] + head[b["thigh.R"]])
    x[J["spine"]] = head[b["chest"]]
    x[J["thorax"]] = head[b["neck"]] if "neck" in b else head[b["head"]]
    x[J["neck"]] = head[b["head"]]
    x[J["head"]] = tail[b["head"]]
    for side in ("L", "R"):
        s = side.lower()
        x[J[f"{s}_hip"]] = head[b[f"thigh.{side}"]]
        x[J[f"{s}_knee"]] = head[b[f"shin.{side}"]]
        x[J[f"{s}_ankle"]] = head[b[f"foot.{side}"]]
        toe = b.get(f"toe.{side}")
        x[J[f"{s}_toe"]] = head[toe] if toe is not None else tail[b[f"foot.{side}"]]
        x[J[f"{s}_shoulder"]] = head[b[f"upper_arm.{side}"]]
        x[J[f"{s}_elbow"]] = head[b[f"forearm.{side}"]]
        x[J[f"{s}_wrist"]] = head[b[f"hand.{side}"]]
        x[J[f"{s}_hand"]] = tail[b[f"hand.{side}"]]
    return x


# Segments summed for a body's height: leg (both sides averaged), torso, neck and head.
HEIGHT_CHAIN = (
    ("l_ankle", "l_knee"),
    ("l_knee", "l_hip"),
    ("r_ankle", "r_knee"),
    ("r_knee", "r_hip"),
    ("pelvis", "spine"),
    ("spine", "thorax"),
    ("thorax", "neck"),
    ("neck", "head"),
)


def body_height(x: np.ndarray) -> np.ndarray:
    """Standing height proxy (...) of lift joints (..., 21, 3): ankle→hip (mean of the legs)
    plus pelvis→spine→thorax→neck→head, in the joints' units."""
    x = np.asarray(x, dtype=np.float64)
    seg = [np.linalg.norm(x[..., J[a], :] - x[..., J[b], :], axis=-1) for a, b in HEIGHT_CHAIN]
    return 0.5 * (seg[0] + seg[1] + seg[2] + seg[3]) + sum(seg[4:])
