"""The "lift" joint layout shared by every stage (DESIGN.md §4).

The 17 Human3.6M joints in their usual order, then end joints that animation needs:

====  ========== =====================================================
 idx  name       meaning
====  ========== =====================================================
  0   pelvis     midpoint of the hip joint centres (the root)
 1-3  r_hip, r_knee, r_ankle
 4-6  l_hip, l_knee, l_ankle
  7   spine      middle of the torso
  8   thorax     base of the neck
  9   neck       neck / nose level (Human3.6M's "neck/nose")
 10   head       top of the head
11-13 l_shoulder, l_elbow, l_wrist
14-16 r_shoulder, r_elbow, r_wrist
 17   r_toe      ball of the right foot (toe base joint)
 18   l_toe      ball of the left foot
 19   l_hand     end of the left hand (middle-finger knuckle)
 20   r_hand     end of the right hand
====  ========== =====================================================

"Left" is the subject's own left. Model inputs and outputs use this order; files store the
names in ``joint_names`` so a reader can check them.
"""

from __future__ import annotations

import numpy as np

LIFT_JOINTS: tuple[str, ...] = (
    "pelvis",
    "r_hip",
    "r_knee",
    "r_ankle",
    "l_hip",
    "l_knee",
    "l_ankle",
    "spine",
    "thorax",
    "neck",
    "head",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "r_toe",
    "l_toe",
    "l_hand",
    "r_hand",
)
NUM_JOINTS = len(LIFT_JOINTS)
H36M17 = 17  # the first 17 lift joints are Human3.6M's, in Human3.6M's order
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(LIFT_JOINTS)}

PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15, 3, 6, 13, 16)

LEFT: tuple[int, ...] = (4, 5, 6, 11, 12, 13, 18, 19)
RIGHT: tuple[int, ...] = (1, 2, 3, 14, 15, 16, 17, 20)

# (child, parent) pairs: one bone per non-root joint.
BONES: tuple[tuple[int, int], ...] = tuple((j, p) for j, p in enumerate(PARENTS) if p >= 0)


def flip_permutation() -> np.ndarray:
    """Joint permutation that swaps left and right: ``mirrored = x[..., perm, :]``."""
    perm = np.arange(NUM_JOINTS)
    perm[list(LEFT)] = RIGHT
    perm[list(RIGHT)] = LEFT
    return perm


def mirror(joints: np.ndarray, axis: int = 0) -> np.ndarray:
    """Mirror poses (..., J, D): negate coordinate ``axis`` and swap left/right joints."""
    out = np.array(joints, copy=True)[..., flip_permutation(), :]
    out[..., axis] = -out[..., axis]
    return out


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """Bone lengths (..., len(BONES)) of poses (..., J, 3), in the poses' units."""
    child = [c for c, _ in BONES]
    parent = [p for _, p in BONES]
    return np.linalg.norm(joints[..., child, :] - joints[..., parent, :], axis=-1)
