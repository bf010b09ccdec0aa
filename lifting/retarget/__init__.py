"""Retarget maths: world joint positions + a rest skeleton → per-bone local quaternions and
root locations, in NumPy (no Blender). See ``solve.py`` for the pose convention."""

from .lift_rig import LIFT_BONES, ROOT_BONE, lift_rest_skeleton
from .rest import RestSkeleton, TwistRef, bone_matrix, matrix_roll
from .solve import Retargeted, forward_kinematics, solve

__all__ = [
    "LIFT_BONES",
    "ROOT_BONE",
    "RestSkeleton",
    "Retargeted",
    "TwistRef",
    "bone_matrix",
    "forward_kinematics",
    "lift_rest_skeleton",
    "matrix_roll",
    "solve",
]
