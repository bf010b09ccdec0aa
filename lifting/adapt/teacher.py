"""Invariant teacher and equivariant student (after Xu et al., AAAI 2021), per frame.

Both read one frame's 2D in the lifters' per-frame centring (:func:`lifting.models.tcn.
centre_and_scale`: pelvis-relative, divided by the 2D body size, so their 3D is in units of that
size) and use a perspective with a fixed depth offset ``d``: a point ``(x, y, z)`` relative to
the pelvis projects to ``(x, y) * d / (d + z)``.

- :class:`Teacher`: a residual MLP predicts ``K`` coefficients of a learned pose dictionary (a
  linear map K → 3J whose bias is the mean shape) and a camera rotation (axis-angle). The
  canonical shape must not change when it is rotated at random, projected and lifted again
  (:func:`teacher_cycle_loss`): this removes the ambiguity between shape and rotation.
- :class:`Student`: a graph network over the joints with a learned adjacency predicts each
  joint's depth; it is distilled from the teacher's depths and must follow a rotation about the
  vertical axis (:func:`student_cycle_loss`: rotate its 3D, project, lift again → the rotated 3D).
"""

from __future__ import annotations

import torch
from torch import nn

from ..skeleton import BONES, NUM_JOINTS
from .rotations import about_vertical, axis_angle_to_matrix, random_rotations

DEPTH_OFFSET = 10.0  # body sizes (~5 m for a 0.5 m RMS body): a typical camera distance


def perspective(points: torch.Tensor, d: float = DEPTH_OFFSET) -> torch.Tensor:
    """Pelvis-relative 3D ``(N, J, 3)`` → 2D ``(N, J, 2)`` with the fixed depth offset ``d``."""
    return points[..., :2] * (d / (d + points[..., 2:3]).clamp(min=0.1 * d))


def unproject(xy: torch.Tensor, depth: torch.Tensor, d: float = DEPTH_OFFSET) -> torch.Tensor:
    """Inverse of :func:`perspective`: 2D ``(N, J, 2)`` and depth ``(N, J)`` → 3D ``(N, J, 3)``."""
    return torch.cat([xy * ((d + depth[..., None]) / d), depth[..., None]], dim=-1)


def rms(points: torch.Tensor) -> torch.Tensor:
    """RMS distance of ``(N, J, C)`` from joint 0, ``(N, 1, 1)``."""
    rel = points - points[:, :1]
    return rel.pow(2).sum(-1).mean(-1).sqrt().clamp(min=1e-6)[:, None, None]


def as_input(xy: torch.Tensor, conf: torch.Tensor | None = None) -> torch.Tensor:
    """Projected 2D ``(N, J, 2)`` → a frame input ``(N, J, 3)``: pelvis-relative, RMS 1,
    confidence ``conf (N, J)`` (default 1)."""
    rel = xy - xy[:, :1]
    rel = rel / rms(rel)
    c = torch.ones_like(rel[..., :1]) if conf is None else conf[..., None]
    return torch.cat([rel * (c > 0), c], dim=-1)


def shape_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean joint distance between ``(N, J, 3)`` shapes, each scaled to RMS 1 first."""
    return torch.linalg.vector_norm(a / rms(a) - b / rms(b), dim=-1).mean()


class Teacher(nn.Module):
    """Frame ``(N, J, 3)`` (centred 2D + confidence) → ``(canonical (N, J, 3), R (N, 3, 3))``;
    the posed 3D is ``canonical @ R.T``. ``atoms`` = K dictionary entries."""

    def __init__(self, joints: int = NUM_JOINTS, atoms: int = 12, channels: int = 256):
        super().__init__()
        self.joints = joints
        self.inp = nn.Linear(joints * 3, channels)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(channels, channels), nn.ReLU(), nn.Linear(channels, channels))
            for _ in range(2)
        )
        self.coeff = nn.Linear(channels, atoms)
        self.rot = nn.Linear(channels, 3)
        nn.init.zeros_(self.rot.weight)
        nn.init.zeros_(self.rot.bias)
        self.atoms = nn.Linear(atoms, joints * 3)  # bias = the mean shape

    def forward(self, frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.inp(frame.flatten(1)))
        for block in self.blocks:
            h = torch.relu(h + block(h))
        shape = self.atoms(self.coeff(h)).reshape(-1, self.joints, 3)
        return shape - shape[:, :1], axis_angle_to_matrix(self.rot(h))

    def posed(self, frame: torch.Tensor) -> torch.Tensor:
        """Pelvis-relative 3D ``(N, J, 3)`` as seen by the camera."""
        shape, rot = self(frame)
        return shape @ rot.transpose(1, 2)


def skeleton_adjacency(joints: int = NUM_JOINTS) -> torch.Tensor:
    """``(J, J)`` 0/1: self loops and bones."""
    a = torch.eye(joints)
    for c, p in BONES:
        a[c, p] = a[p, c] = 1.0
    return a


class Student(nn.Module):
    """Frame ``(N, J, 3)`` → per-joint depth ``(N, J)`` (pelvis 0) by a graph network whose
    adjacency (row-softmax of a learned ``J × J`` matrix, started at the skeleton's) is learned."""

    def __init__(self, joints: int = NUM_JOINTS, channels: int = 64, layers: int = 3):
        super().__init__()
        self.adj_logits = nn.Parameter(4.0 * skeleton_adjacency(joints) - 2.0)
        self.inp = nn.Linear(3, channels)
        self.pos = nn.Parameter(torch.zeros(joints, channels))  # which joint a node is
        self.layers = nn.ModuleList(nn.Linear(channels, channels) for _ in range(layers))
        self.pooled = nn.ModuleList(nn.Linear(channels, channels) for _ in range(layers))
        self.out = nn.Linear(channels, 1)

    def adjacency(self) -> torch.Tensor:
        return torch.softmax(self.adj_logits, dim=-1)

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        a = self.adjacency()
        h = torch.relu(self.inp(frame) + self.pos)
        for layer, pooled in zip(self.layers, self.pooled, strict=True):
            # neighbours through the learned adjacency, plus the whole body's mean feature
            h = h + torch.relu(a @ layer(h) + pooled(h.mean(dim=-2, keepdim=True)))
        z = self.out(h)[..., 0]
        return z - z[:, :1]

    def lift(self, frame: torch.Tensor) -> torch.Tensor:
        """Pelvis-relative 3D ``(N, J, 3)`` in 2D-body-size units."""
        return unproject(frame[..., :2], self(frame))


def teacher_reprojection_loss(teacher: Teacher, frame: torch.Tensor) -> torch.Tensor:
    """Confidence-weighted 2D distance between the frame and the projected posed shape."""
    proj = perspective(teacher.posed(frame))
    conf = frame[..., 2]
    err = torch.linalg.vector_norm(proj - frame[..., :2], dim=-1)
    return (err * conf).sum() / conf.sum().clamp(min=1e-6)


def teacher_cycle_loss(
    teacher: Teacher, frame: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Invariance: the canonical shape, rotated at random, projected and lifted again, must
    come back as the same canonical shape (scale-free comparison)."""
    shape, _ = teacher(frame)
    rot = random_rotations(len(frame), generator)
    again, _ = teacher(as_input(perspective(shape @ rot.transpose(1, 2))))
    return shape_distance(again, shape.detach())


def student_cycle_loss(
    student: Student,
    frame: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Equivariance: the student's 3D rotated about the vertical axis, projected and lifted
    again, must give the rotated 3D (scale-free comparison)."""
    q = student.lift(frame)
    angle = (torch.rand(len(frame), generator=generator) * 2 - 1) * torch.pi
    turned = q @ about_vertical(angle).transpose(1, 2)
    again = student.lift(as_input(perspective(turned)))
    return shape_distance(again, turned.detach())


def distillation_loss(student: Student, teacher: Teacher, frame: torch.Tensor) -> torch.Tensor:
    """Student depth vs the teacher's posed depth (teacher not updated), 2D-body-size units."""
    with torch.no_grad():
        target = teacher.posed(frame)[..., 2]
    return (student(frame) - target).abs().mean()


def supervised_shape_loss(posed: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Scale-free distance between predicted and true camera-frame poses ``(N, J, 3)``: used on
    the mocap batches, where the 3D is known."""
    return shape_distance(posed, target - target[:, :1])
