"""Metrics on constructed cases whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lifting.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe, procrustes_align


def _poses(n=5, j=21, seed=0):
    return np.random.default_rng(seed).normal(size=(n, j, 3))


def test_mpjpe_constant_offset():
    target = _poses()
    pred = target + np.array([0.03, 0.04, 0.0])  # every joint 5 cm off
    assert mpjpe(pred, target) == pytest.approx(0.05)
    assert mpjpe(target, target) == 0.0


def test_p_mpjpe_removes_similarity_transform():
    target = _poses()
    rot = Rotation.from_euler("xyz", [0.3, -1.0, 2.0]).as_matrix()
    pred = 1.7 * target @ rot.T + np.array([1.0, -2.0, 3.0])
    assert mpjpe(pred, target) > 1.0
    assert p_mpjpe(pred, target) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(procrustes_align(pred, target), target, atol=1e-9)


def test_p_mpjpe_does_not_undo_a_reflection():
    target = _poses(n=3)
    mirrored = target * np.array([-1.0, 1.0, 1.0])
    # A mirror image cannot be reached by a proper rotation: an error must remain.
    assert p_mpjpe(mirrored, target) > 0.1
    aligned = procrustes_align(mirrored, target)
    # The alignment used is a similarity with det(R) = +1: distances scale uniformly.
    d_in = np.linalg.norm(mirrored[0, 0] - mirrored[0, 1])
    d_out = np.linalg.norm(aligned[0, 0] - aligned[0, 1])
    d_in2 = np.linalg.norm(mirrored[0, 2] - mirrored[0, 5])
    d_out2 = np.linalg.norm(aligned[0, 2] - aligned[0, 5])
    assert d_out / d_in == pytest.approx(d_out2 / d_in2)


def test_p_mpjpe_is_below_mpjpe_for_noise():
    target = _poses()
    pred = target + np.random.default_rng(1).normal(scale=0.05, size=target.shape)
    assert p_mpjpe(pred, target) < mpjpe(pred, target)


def test_n_mpjpe_removes_scale_only():
    target = _poses()
    assert n_mpjpe(0.8 * target, target) == pytest.approx(0.0, abs=1e-12)
    rot = Rotation.from_euler("z", 90, degrees=True).as_matrix()
    assert n_mpjpe(target @ rot.T, target) > 0.1


def test_mpjve_constant_offset_is_zero_and_jitter_is_not():
    t = np.linspace(0, 1, 10)[:, None, None]
    target = np.broadcast_to(t * np.array([1.0, 0.0, 0.0]), (10, 4, 3)).copy()
    assert mpjve(target + 0.5, target) == pytest.approx(0.0)
    jitter = target.copy()
    jitter[::2, :, 1] += 0.01  # alternating 1 cm: every velocity is off by 1 cm
    assert mpjve(jitter, target) == pytest.approx(0.01)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError):
        mpjpe(np.zeros((2, 21, 3)), np.zeros((2, 17, 3)))
    with pytest.raises(ValueError):
        mpjve(np.zeros((1, 21, 3)), np.zeros((1, 21, 3)))
