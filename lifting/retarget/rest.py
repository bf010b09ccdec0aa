"""Rest skeletons: bones with heads, tails, rest orientations and the joints that drive them.

Orientation convention is Blender's: a bone's rest matrix (armature space) has columns
(x, y, z) with y pointing from head to tail; the roll turns x and z about y. ``bone_matrix``
reproduces Blender's ``vec_roll_to_mat3`` so rolls read from any rig mean the same here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .rotations import axis_angle_matrix, normalize


@dataclass(frozen=True)
class TwistRef:
    """How to see a bone's twist (rotation about its own axis) in joint positions.

    ``kind``:
      - ``"vector"``: the vector from the centroid of ``joints[0]`` to the centroid of
        ``joints[1]`` (two tuples of joint indices), e.g. right hip → left hip.
      - ``"normal"``: the normal ``cross(J[b] - J[a], J[c] - J[b])`` of the plane through joints
        ``(a, b, c)``, e.g. hip, knee, ankle: the knee's hinge axis.
      - ``"carry"``: nothing observable; keep the parent's twist (no twist relative to it).

    The reference's part perpendicular to the bone is what counts. Where it vanishes
    (a straight limb for ``"normal"``) the solver blends towards ``"carry"``.
    ``rest_axis`` is the bone-local direction the reference has at rest when the rest pose
    itself is degenerate for it (e.g. straight legs at rest): default local x, so a rig whose
    rolls put x on the hinge axis (Blender/Rigify habit) needs nothing more.
    """

    kind: str = "carry"
    joints: tuple = ()
    rest_axis: tuple[float, float, float] = (1.0, 0.0, 0.0)


@dataclass
class RestSkeleton:
    """B bones at rest, in armature space (metres), plus the joints that drive each bone.

    - ``names``: B bone names; ``parents (B,)`` int, -1 for a root, parents before children.
    - ``heads, tails (B, 3)``; ``matrices (B, 3, 3)`` rest orientations (columns x, y, z).
    - ``head_joint, tail_joint (B,)``: joint indices (into the motion's J joints) whose
      positions the bone's head and tail should follow.
    - ``twist``: one :class:`TwistRef` per bone.
    """

    names: tuple[str, ...]
    parents: np.ndarray
    heads: np.ndarray
    tails: np.ndarray
    matrices: np.ndarray
    head_joint: np.ndarray
    tail_joint: np.ndarray
    twist: tuple[TwistRef, ...] = field(default=())

    def __post_init__(self):
        b = len(self.names)
        self.parents = np.asarray(self.parents, dtype=np.int64)
        self.heads = np.asarray(self.heads, dtype=np.float64).reshape(b, 3)
        self.tails = np.asarray(self.tails, dtype=np.float64).reshape(b, 3)
        self.matrices = np.asarray(self.matrices, dtype=np.float64).reshape(b, 3, 3)
        self.head_joint = np.asarray(self.head_joint, dtype=np.int64).reshape(b)
        self.tail_joint = np.asarray(self.tail_joint, dtype=np.int64).reshape(b)
        if not self.twist:
            self.twist = tuple(TwistRef() for _ in range(b))
        if len(self.twist) != b or len(self.parents) != b:
            raise ValueError("names, parents and twist must have one entry per bone")
        for i, p in enumerate(self.parents):
            if p >= i:
                raise ValueError(f"bone {self.names[i]!r}: parent must come before the bone")

    @property
    def lengths(self) -> np.ndarray:
        """Bone lengths (B,) in metres."""
        return np.linalg.norm(self.tails - self.heads, axis=-1)

    @property
    def rolls(self) -> np.ndarray:
        """Blender roll angles (B,) in radians of the rest matrices."""
        return matrix_roll(self.matrices)

    def index(self, name: str) -> int:
        return self.names.index(name)


def bone_matrix(head: np.ndarray, tail: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Blender's rest orientation (..., 3, 3) of bones from head, tail (..., 3) and roll (...).

    A NumPy port of Blender's ``vec_roll_to_mat3_normalized`` (armature.cc), including its
    special case for bones pointing almost exactly along -Y.
    """
    nor = normalize(np.asarray(tail, dtype=np.float64) - np.asarray(head, dtype=np.float64))
    return roll_matrix(nor, roll) @ _roll_zero_matrix(nor)


def _roll_zero_matrix(nor: np.ndarray) -> np.ndarray:
    """Blender's orientation at roll 0 for unit directions (..., 3)."""
    safe, critical = 6.1e-3, 2.5e-4
    x, y, z = nor[..., 0], nor[..., 1], nor[..., 2]
    theta = 1.0 + y
    theta_alt = x * x + z * z
    theta = np.where(theta <= safe, theta_alt * 0.5 + theta_alt * theta_alt * 0.125, theta)
    theta = np.maximum(theta, 1e-30)
    cols = [
        np.stack([1 - x * x / theta, -x, -x * z / theta], axis=-1),
        np.stack([x, y, z], axis=-1),
        np.stack([-x * z / theta, -z, 1 - z * z / theta], axis=-1),
    ]
    m = np.stack(cols, axis=-1)
    singular = (1.0 + y <= safe) & (theta_alt <= critical * critical)
    m[singular] = np.diag([-1.0, -1.0, 1.0])
    return m


def roll_matrix(nor: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Rotation (..., 3, 3) by ``roll`` radians about the unit bone directions ``nor``."""
    return axis_angle_matrix(nor, np.asarray(roll, dtype=np.float64))


def matrix_roll(matrices: np.ndarray) -> np.ndarray:
    """Blender roll (...) of rest orientations (..., 3, 3): the signed angle about y from the
    roll-0 x axis to the matrix's x axis."""
    m = np.asarray(matrices, dtype=np.float64)
    y = normalize(m[..., :, 1])
    x0 = _roll_zero_matrix(y)[..., :, 0]
    x = m[..., :, 0]
    return np.arctan2(np.sum(np.cross(x0, x) * y, axis=-1), np.sum(x0 * x, axis=-1))


def matrix_from_x_hint(head: np.ndarray, tail: np.ndarray, x_hint: np.ndarray) -> np.ndarray:
    """Rest orientation (..., 3, 3) with y head→tail and x as close as possible to ``x_hint``."""
    y = normalize(np.asarray(tail, dtype=np.float64) - np.asarray(head, dtype=np.float64))
    x = normalize(x_hint - np.sum(x_hint * y, axis=-1, keepdims=True) * y)
    return np.stack([x, y, np.cross(x, y)], axis=-1)
