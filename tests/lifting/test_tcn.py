"""Temporal conv model geometry, strided/dilated equivalence, padding and mirroring."""

from __future__ import annotations

import pytest
import torch

from lifting.models.sequence import mirror_2d, mirror_3d, pad_edges, predict_sequence
from lifting.models.tcn import ResidualMLP, TemporalModel, TemporalModelStrided, build_model


def _trained_looking(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give batch-norm layers non-trivial running statistics so eval mode is a real test."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return model.eval()


@pytest.mark.parametrize(("widths", "rf"), [((3, 3, 3), 27), ((3, 3, 3, 3), 81), ((3,) * 5, 243)])
def test_receptive_field(widths, rf):
    model = TemporalModel(filter_widths=widths, channels=16)
    assert model.receptive_field() == rf
    assert model.pad() == (rf - 1) // 2
    out = model.eval()(torch.randn(2, rf + 4, 21, 3))
    assert out.shape == (2, 5, 21, 3)


def test_root_is_zero_and_trajectory_has_one_joint():
    pose = TemporalModel(filter_widths=(3, 3), channels=16).eval()
    traj = TemporalModel(filter_widths=(3, 3), channels=16, joints_out=1, zero_root=False).eval()
    x = torch.randn(1, 12, 21, 3)
    out = pose(x)
    assert torch.all(out[:, :, 0] == 0)
    assert out[:, :, 1:].abs().sum() > 0
    assert traj(x).shape == (1, 4, 1, 3)
    assert traj(x).abs().sum() > 0


@pytest.mark.parametrize("widths", [(3, 3, 3), (3, 3, 3, 3), (5, 3, 3)])
def test_strided_state_dict_loads_into_dilated_and_outputs_agree(widths):
    torch.manual_seed(0)
    strided = _trained_looking(TemporalModelStrided(filter_widths=widths, channels=32))
    dilated = TemporalModel(filter_widths=widths, channels=32)
    dilated.load_state_dict(strided.state_dict())  # strict: same keys and shapes
    dilated.eval()
    rf = dilated.receptive_field()
    x = torch.randn(3, rf + 9, 21, 3)
    with torch.no_grad():
        full = dilated(x)  # (3, 10, 21, 3)
        windows = torch.stack([strided(x[:, i : i + rf])[:, 0] for i in range(10)], dim=1)
    assert full.shape == windows.shape == (3, 10, 21, 3)
    torch.testing.assert_close(full, windows, rtol=1e-4, atol=1e-5)


def test_pad_edges_replicates_first_and_last_frames():
    x = torch.arange(4.0).reshape(1, 4, 1, 1)
    y = pad_edges(x, 2)
    assert y.flatten().tolist() == [0, 0, 0, 1, 2, 3, 3, 3]


def test_predict_sequence_one_output_per_frame_even_for_short_clips():
    model = _trained_looking(TemporalModel(filter_widths=(3, 3, 3), channels=16))
    for t in (1, 5, 26, 60):
        out = predict_sequence(model, torch.randn(2, t, 21, 3))
        assert out.shape == (2, t, 21, 3)


def test_predict_sequence_chunking_matches_one_pass():
    model = _trained_looking(TemporalModel(filter_widths=(3, 3, 3), channels=16))
    x = torch.randn(1, 50, 21, 3)
    one = predict_sequence(model, x, mirror=False, chunk=1000)
    parts = predict_sequence(model, x, mirror=False, chunk=7)
    torch.testing.assert_close(one, parts, rtol=1e-5, atol=1e-6)


def test_mirror_round_trip_and_tta_is_mirror_symmetric():
    x = torch.randn(1, 30, 21, 3)
    torch.testing.assert_close(mirror_2d(mirror_2d(x)), x)
    y = torch.randn(1, 30, 21, 3)
    torch.testing.assert_close(mirror_3d(mirror_3d(y)), y)
    model = _trained_looking(TemporalModel(filter_widths=(3, 3), channels=16))
    # With test-time mirroring the prediction of a mirrored clip is the mirrored prediction.
    a = predict_sequence(model, x, mirror=True)
    b = predict_sequence(model, mirror_2d(x), mirror=True)
    torch.testing.assert_close(mirror_3d(b), a, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(predict_sequence(model, x, mirror=False), a)


def test_mlp_baseline_shapes_and_build_model():
    mlp = _trained_looking(ResidualMLP(channels=32, blocks=1))
    assert mlp.receptive_field() == 1
    assert mlp(torch.randn(2, 7, 21, 3)).shape == (2, 7, 21, 3)
    assert isinstance(build_model("tcn", filter_widths=[3, 3], channels=8), TemporalModel)
    with pytest.raises(ValueError):
        build_model("transformer")
    with pytest.raises(ValueError):
        TemporalModel(channels=8)(torch.randn(1, 90, 17, 2))


def test_frame_normalisation_removes_position_and_scale():
    from lifting.models.tcn import normalize_frames

    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 5, 21, 3, generator=g)
    x[..., 2] = 1.0
    moved = x.clone()
    moved[..., :2] = 0.5 * x[..., :2] + torch.tensor([0.3, -0.2])
    a, b = normalize_frames(x), normalize_frames(moved)
    assert a.shape == (2, 5, 21 * 3 + 3)
    torch.testing.assert_close(a[..., :63], b[..., :63])  # the pose features agree
    torch.testing.assert_close(b[..., 63:65], 0.5 * a[..., 63:65] + torch.tensor([0.3, -0.2]))
    torch.testing.assert_close(b[..., 65], a[..., 65] + torch.log(torch.tensor(0.5)))
    dropped = x.clone()
    dropped[:, :, 0] = 0.0  # pelvis missing: the centre falls back to the visible joints' mean
    f = normalize_frames(dropped).reshape(2, 5, -1)[..., :63].reshape(2, 5, 21, 3)
    assert torch.all(f[:, :, 0] == 0) and torch.isfinite(f).all()


def test_normalised_models_keep_strided_equivalence():
    strided = _trained_looking(
        TemporalModelStrided(filter_widths=(3, 3), channels=16, normalize=True)
    )
    dilated = TemporalModel(filter_widths=(3, 3), channels=16, normalize=True)
    dilated.load_state_dict(strided.state_dict())
    dilated.eval()
    x = torch.randn(2, 13, 21, 3)
    x[..., 2] = torch.rand(2, 13, 21)
    with torch.no_grad():
        full = dilated(x)
        windows = torch.stack([strided(x[:, i : i + 9])[:, 0] for i in range(5)], dim=1)
    torch.testing.assert_close(full, windows, rtol=1e-4, atol=1e-5)
    mlp = _trained_looking(ResidualMLP(channels=16, blocks=1, normalize=True))
    assert mlp(x).shape == (2, 13, 21, 3)
