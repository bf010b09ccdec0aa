"""GLA-GCN lifter: shapes, graph, individually connected head, dilated = windowed, ONNX."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lifting.models.glagcn import GLAGCN, PerJointHead, macs_per_frame
from lifting.models.graph import adjacency_subsets, node_features
from lifting.models.registry import build_model
from lifting.models.sequence import predict_sequence
from lifting.skeleton import BONES, NUM_JOINTS


def inputs(b: int, t: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, t, NUM_JOINTS, 3, generator=g) * 0.3
    x[..., 2] = torch.rand(b, t, NUM_JOINTS, generator=g)
    return x


def small(levels: int = 2, seed: int = 0) -> GLAGCN:
    torch.manual_seed(seed)
    m = GLAGCN(levels=levels, channels=8, dropout=0.0)
    with torch.no_grad():  # make every part of the head matter
        m.per_joint.weight.normal_()
        m.shared.weight.normal_()
        m.mix.normal_()
    return m.eval()


@pytest.mark.parametrize("levels, rf", [(1, 3), (2, 9), (3, 27), (4, 81)])
def test_receptive_field_and_output_shape(levels, rf):
    m = GLAGCN(levels=levels, channels=8).eval()
    assert m.receptive_field() == rf and m.pad() == (rf - 1) // 2
    with torch.no_grad():
        y = m(inputs(2, rf + 4))
    assert y.shape == (2, 5, NUM_JOINTS, 3)
    assert torch.all(y[:, :, 0] == 0)  # root-relative
    with pytest.raises(ValueError, match="expected input"):
        m(inputs(2, rf)[..., :2])


def test_adjacency_subsets_are_column_normalised_skeleton_links():
    a = adjacency_subsets()
    assert a.shape == (3, NUM_JOINTS, NUM_JOINTS)
    np.testing.assert_array_equal(a[0], np.eye(NUM_JOINTS))
    assert np.count_nonzero(a[1]) == len(BONES) == np.count_nonzero(a[2])
    for child, parent in BONES:
        assert a[1][child, parent] > 0 and a[2][parent, child] > 0
    for sub in a[1:]:
        s = sub.sum(axis=0)
        np.testing.assert_allclose(s[s > 0], 1.0, rtol=1e-6)
    # The pelvis has three children: each contributes a third to it (inward).
    np.testing.assert_allclose(a[1][[1, 4, 7], 0], 1 / 3, rtol=1e-6)


def test_node_features_are_translation_and_scale_free():
    x = inputs(1, 4)
    x[..., 2] = 1.0
    y = x.clone()
    y[..., :2] = x[..., :2] * 0.5 + 0.2  # the same pose, smaller and elsewhere in the frame
    fx, fy = node_features(x), node_features(y)
    assert fx.shape == (1, 4, NUM_JOINTS, 6)
    torch.testing.assert_close(fx[..., :3], fy[..., :3], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(fx[..., 3:], fy[..., 3:])  # centre and size are still seen


def test_per_joint_head_changes_only_the_joint_whose_feature_changed():
    torch.manual_seed(0)
    head = PerJointHead(8, NUM_JOINTS)
    h = torch.randn(2, 3, NUM_JOINTS, 8)
    base = head(h)
    for k in (0, 5, 20):
        h2 = h.clone()
        h2[:, :, k] += torch.randn(2, 3, 8)
        diff = (head(h2) - base).abs().amax(dim=(0, 1, 3))
        assert diff[k] > 1e-3
        assert torch.all(torch.cat([diff[:k], diff[k + 1 :]]) == 0)


def test_whole_head_is_per_joint_and_a_convex_mix():
    m = small()
    h = torch.randn(2, 3, NUM_JOINTS, 8)
    base = m.head(h)
    h2 = h.clone()
    h2[:, :, 7] += 1.0
    diff = (m.head(h2) - base).abs().amax(dim=(0, 1, 3))
    assert diff[7] > 1e-3 and torch.all(torch.cat([diff[:7], diff[8:]]) == 0)
    # Per-joint weights are not shared: the same feature on two joints gives different outputs.
    same = torch.randn(1, 1, 1, 8).expand(1, 1, NUM_JOINTS, 8)
    assert not torch.allclose(m.per_joint(same)[0, 0, 3], m.per_joint(same)[0, 0, 4])
    # The mix is convex: with mix → +inf the head is the per-joint layer alone.
    with torch.no_grad():
        m.mix.fill_(30.0)
    torch.testing.assert_close(m.head(h), m.per_joint(h))


def test_attention_columns_sum_to_one():
    m = small()
    h = torch.randn(2, 5, NUM_JOINTS, 8)
    att = m.pointwise[0].gcn.attention(h, 1)
    assert att.shape == (2, 5, NUM_JOINTS, NUM_JOINTS)
    torch.testing.assert_close(att.sum(dim=-2), torch.ones(2, 5, NUM_JOINTS))


def test_one_pass_over_a_clip_equals_one_window_per_output_frame():
    m = small(levels=2)
    x = inputs(1, 30, seed=3)
    with torch.no_grad():
        seq = m(x)
        for t in (0, 7, 21):
            torch.testing.assert_close(m(x[:, t : t + 9])[:, 0], seq[:, t], atol=1e-5, rtol=1e-5)
        # The paper's strided form (one window per output) has the same weights and results.
        windows = torch.cat([x[:, t : t + 9] for t in (0, 7, 21)], dim=1)
        strided = m(windows, strided=True)
    assert strided.shape == (1, 3, NUM_JOINTS, 3)
    torch.testing.assert_close(strided, seq[:, [0, 7, 21]], atol=1e-5, rtol=1e-5)


def test_predict_sequence_short_clip_and_mirror_tta():
    m = small(levels=2)
    for t in (1, 4, 40):
        y = predict_sequence(m, inputs(2, t), mirror=True)
        assert y.shape == (2, t, NUM_JOINTS, 3) and torch.isfinite(y).all()


def test_trains_a_step_and_registry_builds_it():
    m = build_model("glagcn", levels=1, channels=8)
    assert isinstance(m, GLAGCN)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    x, target = inputs(4, 10), torch.randn(4, 8, NUM_JOINTS, 3) * 0.3
    losses = []
    for _ in range(20):
        loss = (m(x) - target).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    assert m.first.gcn.offset.grad is not None and m.first.gcn.offset.grad.abs().sum() > 0


def test_macs_per_frame_window_vs_sequence():
    m = GLAGCN(levels=3, channels=16)
    macs = macs_per_frame(m, frames=40)
    assert macs["window"] > 5 * macs["sequence"] > 0


def test_onnx_export_matches_torch(tmp_path):
    pytest.importorskip("onnxruntime")
    from tools import export_onnx

    m = small(levels=2)
    path = export_onnx.export_model(m, tmp_path / "g.onnx", name="g")
    assert export_onnx.max_difference(m, path, frames=50) <= 1e-4
