"""Adaptation losses and the teacher/student networks (lifting/adapt): shapes, gradients,
zero loss on ground truth, cycle invariance/equivariance on constructed data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lifting.adapt import teacher as ts
from lifting.adapt.backproject import (
    backprojection_loss,
    bone_lengths,
    bone_loss,
    normalised_focal,
    project,
    reference_bone_lengths,
)
from lifting.adapt.rotations import about_vertical, axis_angle_to_matrix, random_rotations
from lifting.camera import normalize_screen
from lifting.mocap.dataset import load_split
from lifting.skeleton import NUM_JOINTS
from lifting.train.synth import make_batch

FILES = ["bandai/dataset-1_walk_happy_001.bvh.gz", "cmu/007_03.bvh.gz"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def batch(mocap_dir):
    clips = load_split("adapt-test", mocap_dir=mocap_dir, cache_dir=False, files=FILES)
    rng = np.random.default_rng(0)
    windows = np.stack(
        [
            c.joints[s : s + 30]
            for c in clips
            for s in (0, len(c.joints) // 2 - 15, len(c.joints) - 30)
        ]
    ).astype(np.float32)
    return make_batch(windows, rng, noise=False, mirror_p=0.5)


def _truth(batch):
    """Ground-truth pose, root, inputs with the principal point moved to the frame centre
    (the adaptation assumes a centred principal point), normalised focal lengths."""
    w, h = batch["size"][:, 0], batch["size"][:, 1]
    shift = normalize_screen(batch["center"], w, h)  # principal point, normalised
    inputs = batch["inputs"].copy()
    inputs[..., :2] -= shift[:, None, None, :]
    f_n = normalised_focal(batch["focal"], w)
    return (
        torch.from_numpy(batch["target"]).float(),
        torch.from_numpy(batch["root"]).float(),
        torch.from_numpy(inputs).float(),
        torch.from_numpy(np.asarray(f_n, np.float32)),
    )


def test_backprojection_of_the_ground_truth_is_zero(batch):
    pose, root, inputs, f_n = _truth(batch)
    assert float(backprojection_loss(pose, root, inputs, f_n)) < 1e-5
    # a 5 cm error in depth of the root is not free
    moved = root + torch.tensor([0.0, 0.0, 0.5])
    assert float(backprojection_loss(pose, moved, inputs, f_n)) > 1e-3


def test_losses_are_scalars_with_gradients_to_pose_and_root(batch):
    pose, root, inputs, f_n = _truth(batch)
    pose = (pose + 0.01 * torch.randn_like(pose)).requires_grad_(True)
    root = (root + 0.05).requires_grad_(True)
    ref = torch.from_numpy(reference_bone_lengths(batch["target"][0]))
    loss = backprojection_loss(pose, root, inputs, f_n) + bone_loss(pose, ref)
    assert loss.dim() == 0
    loss.backward()
    assert pose.grad.shape == pose.shape and pose.grad.abs().sum() > 0
    assert root.grad.shape == root.shape and root.grad.abs().sum() > 0


def test_confidence_zero_joints_do_not_count(batch):
    pose, root, inputs, f_n = _truth(batch)
    bad = inputs.clone()
    bad[:, :, 5, :2] += 0.3
    assert float(backprojection_loss(pose, root, bad, f_n)) > 1e-3
    bad[:, :, 5, 2] = 0.0
    assert float(backprojection_loss(pose, root, bad, f_n)) < 1e-5


def test_bone_loss_is_zero_at_the_reference_and_grows_with_scale(batch):
    pose = torch.from_numpy(batch["target"][:1]).float()
    ref = bone_lengths(pose[0, 0])
    assert float(bone_loss(pose[:, :1], ref)) < 1e-6
    assert float(bone_loss(1.1 * pose[:, :1], ref)) > 0.005
    assert bone_lengths(pose).shape == (1, pose.shape[1], NUM_JOINTS - 1)


def test_projection_matches_pixels(batch):
    p = torch.tensor([[[0.5, -0.2, 4.0]]])
    xy = project(p, torch.tensor([2.0]))
    assert torch.allclose(xy, torch.tensor([[[0.25, -0.1]]]))


def test_rotations_are_orthonormal():
    r = random_rotations(64, torch.Generator().manual_seed(0))
    eye = torch.eye(3).expand(64, 3, 3)
    assert torch.allclose(r @ r.transpose(1, 2), eye, atol=1e-5)
    assert torch.allclose(torch.linalg.det(r), torch.ones(64), atol=1e-5)
    v = torch.tensor([[0.0, 0.7, 0.0]])
    assert torch.allclose(axis_angle_to_matrix(v), about_vertical(torch.tensor([0.7])), atol=1e-6)


def _views(batch, n_rot: int = 8, seed: int = 0):
    """Constructed data: mocap poses (camera frame, pelvis-relative) seen from ``n_rot``
    random rotations each, in teacher units (2D body size 1); ``(frames, 3D)``."""
    pose = torch.from_numpy(batch["target"][:, ::10].reshape(-1, NUM_JOINTS, 3)).float()
    rot = random_rotations(n_rot * len(pose), torch.Generator().manual_seed(seed))
    posed = pose.repeat(n_rot, 1, 1) @ rot.transpose(1, 2)
    frames = ts.as_input(ts.perspective(posed / ts.rms(posed[..., :2]) * 1.0))
    return frames, posed


def test_teacher_cycle_is_zero_for_a_rotation_invariant_teacher_and_not_otherwise(batch):
    frames, _ = _views(batch)
    torch.manual_seed(0)
    teacher = ts.Teacher()
    gen = torch.Generator().manual_seed(1)
    assert float(ts.teacher_cycle_loss(teacher, frames, gen).detach()) > 0.01
    with torch.no_grad():  # canonical shape = the dictionary's mean, whatever the view
        teacher.coeff.weight.zero_()
        teacher.coeff.bias.zero_()
        teacher.atoms.bias.copy_(torch.randn(NUM_JOINTS * 3))
    assert float(ts.teacher_cycle_loss(teacher, frames, gen).detach()) < 1e-5


def test_training_the_teacher_makes_it_rotation_invariant(batch):
    frames, _ = _views(batch)
    torch.manual_seed(0)
    teacher = ts.Teacher(channels=128)
    gen = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(teacher.parameters(), lr=1e-3)
    before = float(
        ts.teacher_cycle_loss(teacher, frames, torch.Generator().manual_seed(5)).detach()
    )
    for _ in range(150):
        loss = 5 * ts.teacher_reprojection_loss(teacher, frames)
        loss = loss + ts.teacher_cycle_loss(teacher, frames, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = float(ts.teacher_cycle_loss(teacher, frames, torch.Generator().manual_seed(5)).detach())
    assert after < 0.5 * before
    assert float(ts.teacher_reprojection_loss(teacher, frames).detach()) < 0.2


def _train_student(frames, depth, w_cycle: float, steps: int = 200):
    torch.manual_seed(0)
    student = ts.Student(channels=64)
    gen = torch.Generator().manual_seed(2)
    opt = torch.optim.Adam(student.parameters(), lr=3e-3)
    for _ in range(steps):
        loss = (student(frames) - depth).abs().mean()
        if w_cycle:
            loss = loss + w_cycle * ts.student_cycle_loss(student, frames, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        cycle = [
            float(ts.student_cycle_loss(student, frames, torch.Generator().manual_seed(k)))
            for k in range(5)
        ]
    return student, float(np.mean(cycle))


@pytest.mark.slow
def test_the_equivariance_cycle_makes_the_student_follow_turns(batch):
    """Students trained on the true depths of constructed views, with and without the
    equivariance cycle: the cycle's student follows turns about the vertical axis better."""
    frames, posed = _views(batch)
    depth = (posed[..., 2] - posed[:, :1, 2]) / ts.rms(posed[..., :2])[..., 0]
    _, without = _train_student(frames, depth, 0.0)
    student, with_cycle = _train_student(frames, depth, 1.0)
    assert with_cycle < 0.9 * without
    a = student.adjacency()
    assert torch.allclose(a.sum(-1), torch.ones(NUM_JOINTS), atol=1e-5)
