"""Map BVH skeletons (Bandai Namco, CMU iClone "CC_Base") to the lift layout.

Output: (T, 21, 3) joint positions in metres, world frame **Z up** (right-handed), the floor
near Z = 0. BVH files are Y up; the conversion is a +90° rotation about X:
``(X, Y, Z) = (x, -z, y)`` (keeps the frame right-handed, so the subject's left stays left).

Joint definitions (DESIGN.md §4):

- pelvis: midpoint of the two hip joints (thighs);
- thorax: base of the neck (Bandai ``Neck``, CMU ``CC_Base_NeckTwist01``);
- neck: top of the neck / skull base (``Head`` / ``CC_Base_Head``);
- head: top of the head. Neither skeleton has one (Bandai's Head end site is empty, CMU has
  none), so it is placed ``HEAD_TOP`` metres from the head joint along the head's own
  neck→head direction (it follows head rotation);
- spine: middle of the torso (Bandai: midpoint of ``Spine`` and ``Chest``; CMU ``Spine02``);
- toes: ball of the foot (``Toes`` / ``ToeBase``);
- hand ends: middle-finger knuckle (CMU ``Mid1``; Bandai's Hand end site is empty, so it is
  placed along the forearm direction of the hand, ``HAND_RATIO`` × forearm length).

The floor: each clip is shifted vertically so that its lowest foot joints sit at their usual
height above the ground (see :func:`floor_offset`).
"""

from __future__ import annotations

import numpy as np

from ..errors import BVHParseError
from ..skeleton import JOINT_INDEX, NUM_JOINTS
from .bvh import Bvh, detect_units, forward_kinematics

# Y-up BVH (x, y, z) -> Z-up world (x, -z, y): a rotation of +90° about X.
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

HEAD_TOP = {"bandai": 0.17, "cmu": 0.19}  # metres from the head joint to the top of the head
HAND_RATIO = 0.45  # wrist → middle knuckle, as a fraction of the forearm (CMU Mid1 measures 0.45)
TOE_HEIGHT = 0.035  # typical height of the ball-of-foot joint centre above the floor, metres

# lift joint -> one source joint, or a tuple of joints whose midpoint it is.
BANDAI = {
    "pelvis": ("UpperLeg_L", "UpperLeg_R"),
    "r_hip": "UpperLeg_R",
    "r_knee": "LowerLeg_R",
    "r_ankle": "Foot_R",
    "l_hip": "UpperLeg_L",
    "l_knee": "LowerLeg_L",
    "l_ankle": "Foot_L",
    "spine": ("Spine", "Chest"),
    "thorax": "Neck",
    "neck": "Head",
    "head": "Head_End",
    "l_shoulder": "UpperArm_L",
    "l_elbow": "LowerArm_L",
    "l_wrist": "Hand_L",
    "r_shoulder": "UpperArm_R",
    "r_elbow": "LowerArm_R",
    "r_wrist": "Hand_R",
    "r_toe": "Toes_R",
    "l_toe": "Toes_L",
    "l_hand": "Hand_L_End",
    "r_hand": "Hand_R_End",
}

_CC = "CC_Base_"
CMU = {
    "pelvis": (_CC + "L_Thigh", _CC + "R_Thigh"),
    "r_hip": _CC + "R_Thigh",
    "r_knee": _CC + "R_Calf",
    "r_ankle": _CC + "R_Foot",
    "l_hip": _CC + "L_Thigh",
    "l_knee": _CC + "L_Calf",
    "l_ankle": _CC + "L_Foot",
    "spine": _CC + "Spine02",
    "thorax": _CC + "NeckTwist01",
    "neck": _CC + "Head",
    "head": _CC + "Head_HeadTop",
    "l_shoulder": _CC + "L_Upperarm",
    "l_elbow": _CC + "L_Forearm",
    "l_wrist": _CC + "L_Hand",
    "r_shoulder": _CC + "R_Upperarm",
    "r_elbow": _CC + "R_Forearm",
    "r_wrist": _CC + "R_Hand",
    "r_toe": _CC + "R_ToeBase",
    "l_toe": _CC + "L_ToeBase",
    "l_hand": _CC + "L_Mid1",
    "r_hand": _CC + "R_Mid1",
}


def detect_source(bvh: Bvh) -> str:
    """ "bandai" or "cmu" from the joint names; BVHParseError for other skeletons."""
    names = set(bvh.names)
    if {"Hips", "UpperLeg_L", "Toes_R", "Hand_L"} <= names:
        return "bandai"
    if {_CC + "Hip", _CC + "L_Thigh", _CC + "R_Mid1", _CC + "NeckTwist01"} <= names:
        return "cmu"
    raise BVHParseError(
        f"{bvh.path}: unknown skeleton (neither Bandai nor CMU CC_Base joint names). "
        "Add a mapping to lifting/mocap/skeletons.py."
    )


def _with_virtual_ends(bvh: Bvh, source: str, scale: float) -> Bvh:
    """Copy of ``bvh`` with estimated head-top (and Bandai hand-end) end sites."""
    names, parents = list(bvh.names), list(bvh.parents)
    offsets, channels = [*bvh.offsets], list(bvh.channels)
    ends = list(bvh.is_end_site)

    def set_end(joint: str, name: str, offset: np.ndarray):
        if name in names:  # an existing (empty) end site: give it a length
            offsets[names.index(name)] = offset
            return
        names.append(name)
        parents.append(names.index(joint))
        offsets.append(offset)
        channels.append(())
        ends.append(True)

    head = "Head" if source == "bandai" else _CC + "Head"
    direction = bvh.offsets[bvh.index(head)]
    top = direction / np.linalg.norm(direction) * HEAD_TOP[source] / scale
    set_end(head, "Head_End" if source == "bandai" else _CC + "Head_HeadTop", top)
    if source == "bandai":
        for side in "LR":
            forearm = bvh.offsets[bvh.index(f"Hand_{side}")]
            set_end(f"Hand_{side}", f"Hand_{side}_End", forearm * HAND_RATIO)
    return Bvh(
        names=names,
        parents=np.array(parents),
        offsets=np.array(offsets, dtype=np.float64),
        channels=channels,
        frame_time=bvh.frame_time,
        motion=bvh.motion,
        path=bvh.path,
        is_end_site=np.array(ends, dtype=bool),
    )


def to_lift_file_axes(bvh: Bvh, source: str | None = None) -> np.ndarray:
    """Lift-layout joints (T, 21, 3) in metres but the file's (Y-up) axes, floor not moved."""
    source = source or detect_source(bvh)
    mapping = BANDAI if source == "bandai" else CMU
    _, scale = detect_units(bvh)
    full = _with_virtual_ends(bvh, source, scale)
    # iClone writes the root position relative to its OFFSET; Bandai writes absolute values.
    pos = forward_kinematics(full, position="add" if source == "cmu" else "replace")
    out = np.zeros((bvh.num_frames, NUM_JOINTS, 3))
    for lift_name, src in mapping.items():
        cols = [full.index(s) for s in ((src,) if isinstance(src, str) else src)]
        out[:, JOINT_INDEX[lift_name]] = pos[:, cols].mean(axis=1)
    return out * scale


def floor_offset(joints: np.ndarray) -> float:
    """Height (Z, metres) of the floor under Z-up lift joints (T, 21, 3).

    The 5th percentile over frames of the lowest toe, minus the toe joint's usual height.
    """
    toes = joints[:, [JOINT_INDEX["l_toe"], JOINT_INDEX["r_toe"]], 2].min(axis=1)
    return float(np.percentile(toes, 5) - TOE_HEIGHT)


def to_lift(bvh: Bvh, drop_first: bool | None = None) -> np.ndarray:
    """Lift-layout world joints (T, 21, 3) float32: metres, Z up, floor near Z = 0.

    ``drop_first``: drop frame 0 (a rest pose in CMU 007_03…007_12); None decides from the
    file name.
    """
    source = detect_source(bvh)
    joints = to_lift_file_axes(bvh, source) @ Y_UP_TO_Z_UP.T
    if drop_first is None:
        drop_first = has_rest_first_frame(bvh.path)
    if drop_first:
        joints = joints[1:]
    if len(joints):
        joints[..., 2] -= floor_offset(joints)
    return joints.astype(np.float32)


def has_rest_first_frame(path: str) -> bool:
    """True for the CMU trials whose frame 0 is a static rest pose (007_03 … 007_12)."""
    name = str(path).replace("\\", "/").rsplit("/", 1)[-1].split(".")[0]
    return name.startswith("007_") and name[4:].isdigit() and 3 <= int(name[4:]) <= 12
