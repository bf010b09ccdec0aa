"""A plain description of a target armature's rest pose (no Blender), read by ``scene/rig_read``.

All positions are in the armature's own space (the armature object's local frame, in its
units); ``object_matrix`` takes them to Blender world space.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RigDescription:
    """B bones of a target armature at rest.

    - ``names``: B bone names; ``parents (B,)`` int, -1 for a top-level bone (any order).
    - ``heads, tails (B, 3)``: rest head and tail (``bone.head_local``, ``bone.tail_local``).
    - ``matrices (B, 3, 3)``: rest orientations (``bone.matrix_local`` 3×3; columns x, y, z,
      y from head to tail; the roll turns x and z about y).
    - ``object_matrix (4, 4)``: the armature object's world matrix.
    - ``name``: the armature's name (for messages).
    - ``drivers``: bone name → the bone whose rotation really moves it when constraints, not
      the hierarchy, say so (Rigify's FK controls follow ``hips`` through mechanism bones);
      ``None`` for nothing. Probed in Blender by ``scene/rig_read``; empty means "hierarchy".
    """

    names: tuple[str, ...]
    parents: np.ndarray
    heads: np.ndarray
    tails: np.ndarray
    matrices: np.ndarray
    object_matrix: np.ndarray = field(default_factory=lambda: np.eye(4))
    name: str = "Armature"
    drivers: dict = field(default_factory=dict)

    def __post_init__(self):
        b = len(self.names)
        self.names = tuple(self.names)
        self.parents = np.asarray(self.parents, dtype=np.int64).reshape(b)
        self.heads = np.asarray(self.heads, dtype=np.float64).reshape(b, 3)
        self.tails = np.asarray(self.tails, dtype=np.float64).reshape(b, 3)
        self.matrices = np.asarray(self.matrices, dtype=np.float64).reshape(b, 3, 3)
        self.object_matrix = np.asarray(self.object_matrix, dtype=np.float64).reshape(4, 4)
        if len(set(self.names)) != b:
            raise ValueError(f"armature {self.name!r}: bone names must be unique")

    def index(self, name: str) -> int:
        return self.names.index(name)

    def children(self) -> list[list[int]]:
        """Child indices of every bone."""
        out: list[list[int]] = [[] for _ in self.names]
        for i, p in enumerate(self.parents):
            if p >= 0:
                out[p].append(i)
        return out

    def ancestors(self, i: int) -> list[int]:
        """Indices of bone ``i``'s ancestors, nearest first."""
        out = []
        p = int(self.parents[i])
        while p >= 0:
            out.append(p)
            p = int(self.parents[p])
        return out

    def topological_order(self) -> list[int]:
        """Bone indices with every parent before its children."""
        depth = [len(self.ancestors(i)) for i in range(len(self.names))]
        return sorted(range(len(self.names)), key=lambda i: (depth[i], i))

    @property
    def object_scale(self) -> float:
        """Mean scale of the armature object (world units per armature unit)."""
        return float(np.cbrt(abs(np.linalg.det(self.object_matrix[:3, :3]))))
