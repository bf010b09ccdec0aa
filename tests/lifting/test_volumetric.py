"""Coarse-to-fine volumetric lifter: shapes, soft-argmax gradients, stages, short-clip fallback."""

from __future__ import annotations

import json

import pytest
import torch

from lifting.models import registry
from lifting.models.sequence import predict_sequence
from lifting.models.tcn import TemporalModel
from lifting.models.volumetric import VolumetricLifter, bin_centres, soft_argmax
from lifting.skeleton import NUM_JOINTS
from lifting.train.export import write_card


def inputs(b: int, t: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, t, NUM_JOINTS, 3, generator=g) * 0.3
    x[..., 2] = torch.rand(b, t, NUM_JOINTS, generator=g)
    return x


def test_shapes_stages_and_root():
    m = VolumetricLifter(bins=(1, 2, 4, 64), channels=32).eval()
    assert m.receptive_field() == 1 and m.pad() == 0
    x = inputs(2, 5)
    with torch.no_grad():
        stages = m.forward_stages(x)
        y = m(x)
    assert len(stages) == 4 and all(s.shape == (2, 5, NUM_JOINTS, 3) for s in stages)
    torch.testing.assert_close(y, stages[-1])
    assert torch.all(y[:, :, 0] == 0)
    assert torch.all(stages[0][..., 2] == 0)  # one depth bin: a 2D-only stage (depth 0)
    assert stages[-1][..., 2].abs().amax() > 0
    # Depth stays inside the binned range; each frame is lifted on its own.
    assert stages[-1][..., 2].abs().amax() <= 1.2
    with torch.no_grad():
        torch.testing.assert_close(m(x[:, 2:3]), y[:, 2:3])


@pytest.mark.parametrize("bins", [(0,), (64,), (1, 2, 4, 8, 16, 32, 64)])
def test_ablation_variants_build(bins):
    m = registry.build_model("volumetric", bins=list(bins), channels=16).eval()
    assert len(m.forward_stages(inputs(1, 3))) == len(bins)


def test_bin_centres_are_symmetric_and_equally_spaced():
    c = bin_centres(4, 1.0)
    torch.testing.assert_close(c, torch.tensor([-0.75, -0.25, 0.25, 0.75]))
    assert bin_centres(1, 1.0).item() == 0.0


def test_soft_argmax_gradients_are_finite_and_non_zero():
    centres = bin_centres(64, 1.2)
    logits = torch.randn(3, NUM_JOINTS, 64, requires_grad=True)
    z = soft_argmax(logits, centres)
    assert z.shape == (3, NUM_JOINTS)
    (z - 0.3).square().sum().backward()
    g = logits.grad
    assert torch.isfinite(g).all() and g.abs().amax() > 1e-4
    assert torch.count_nonzero(g) == g.numel()
    # Peaked logits give the bin centre (the hard argmax), still with usable gradients.
    peaked = torch.full((64,), -30.0)
    peaked[40] = 30.0
    peaked.requires_grad_(True)
    assert abs(soft_argmax(peaked, centres).item() - centres[40].item()) < 1e-6


def test_soft_argmax_gradcheck():
    logits = torch.randn(2, 3, 5, dtype=torch.float64, requires_grad=True)
    centres = bin_centres(5, 1.0).double()
    assert torch.autograd.gradcheck(lambda lg: soft_argmax(lg, centres), (logits,))


def test_model_gradients_reach_every_stage_through_the_distributions():
    m = VolumetricLifter(bins=(1, 4, 16), channels=16, dropout=0.0)
    stages = m.forward_stages(inputs(4, 3))
    stages[-1][..., 2].sum().backward()  # the finest depth only
    for i, stage in enumerate(m.stages):
        g = stage.out.weight.grad
        assert g is not None and torch.isfinite(g).all(), i
    # The coarse stage's output reaches the last depth only through its distribution, passed on.
    assert m.proj_d[0].weight.grad.abs().sum() > 0
    assert m.stages[0].out.weight.grad.abs().sum() > 0


def test_learns_on_a_fixed_batch():
    torch.manual_seed(0)
    m = VolumetricLifter(bins=(1, 4, 16), channels=32, dropout=0.0)
    x, target = inputs(16, 2), torch.randn(16, 2, NUM_JOINTS, 3) * 0.2
    target[:, :, 0] = 0
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        loss = sum((s - target).norm(dim=-1).mean() for s in m.forward_stages(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < 0.6 * first


def _write(directory, name, model, arch, kwargs):
    write_card(directory, name, model, arch, kwargs, role="pose", config={}, metrics={})


def test_short_clip_fallback_to_the_single_frame_model(tmp_path):
    """A clip shorter than the temporal model needs goes to the volumetric model; real
    (untrained) models written as bundled weights + cards in a temporary folder."""
    tcn_args = {"filter_widths": (3, 3, 3), "channels": 16}
    _write(tmp_path, "tcn27", TemporalModel(**tcn_args), "tcn", tcn_args)
    assert registry.for_clip("tcn27", 1, tmp_path) == "tcn27"  # no single-frame model yet
    vol_args = {"bins": [1, 2, 4], "channels": 16}
    _write(tmp_path, "volumetric", VolumetricLifter(**vol_args), "volumetric", vol_args)
    assert registry.min_frames(registry.load_card("tcn27", tmp_path)) == 14
    for frames, expected in ((1, "volumetric"), (13, "volumetric"), (14, "tcn27"), (500, "tcn27")):
        assert registry.for_clip("tcn27", frames, tmp_path) == expected, frames
    assert registry.for_clip("volumetric", 500, tmp_path) == "volumetric"
    model, card = registry.load_model("volumetric", tmp_path)
    assert isinstance(model, VolumetricLifter) and card["receptive_field"] == 1
    y = predict_sequence(model, inputs(1, 1))
    assert y.shape == (1, 1, NUM_JOINTS, 3)
    assert json.loads((tmp_path / "volumetric.json").read_text())["architecture"] == "volumetric"


def test_bundled_default_falls_back_for_a_single_frame():
    if registry.SINGLE_FRAME not in registry.available():
        pytest.skip("the volumetric weights are not bundled in this checkout")
    assert registry.for_clip("default", 1) == registry.SINGLE_FRAME
    assert registry.for_clip("default", 10_000) == registry.resolve("default")


@pytest.mark.parametrize("arch, extra", [("volumetric", ["--bins", "1,4,16"]), ("glagcn", [])])
def test_train_model_cli_trains_resumes_and_exports(arch, extra, mocap_dir, tmp_path):
    """`python -m lifting train-model`: a few real steps on two mocap files with the default
    lifter's pipeline, a resumed run, then weights + card that the registry loads."""
    from lifting.__main__ import main as cli

    files = ["bandai/dataset-1_walk_happy_001.bvh.gz", "cmu/002_01.bvh.gz"]
    out = tmp_path / "run"
    args = ["train-model", "--arch", arch, "--name", f"tiny-{arch}", "--out", str(out)]
    args += ["--channels", "16", "--levels", "1", "--batch", "8", "--out-frames", "4"]
    args += ["--log-every", "2", "--mocap-dir", str(mocap_dir), "--cache-dir", str(tmp_path)]
    args += ["--files", *files, "--val-files", "cmu/007_02.bvh.gz", "--no-final-eval", *extra]
    assert cli([*args, "--steps", "3"]) == 0
    assert cli([*args, "--steps", "5"]) == 0  # resumes at step 3
    log = (out / "train.log").read_text()
    assert "resumed from" in log and "at step 3" in log
    model, card = registry.load_model(f"tiny-{arch}", out / "weights")
    assert card["architecture"] == arch and card["training_steps"] == 5
    assert card["trajectory_model"] == "tcn81-traj"
    y = predict_sequence(model, inputs(1, 7))
    assert y.shape == (1, 7, NUM_JOINTS, 3) and torch.isfinite(y).all()


def test_compare_table_lists_every_lifter_side_by_side(mocap_dir, tmp_path):
    """`python -m lifting evaluate`'s side-by-side table on real (untrained) bundled-style
    models: one row per pose lifter (the trajectory model left out), default first."""
    from lifting.mocap.dataset import load_split
    from lifting.train.compare import compare, format_table, lifter_names
    from lifting.train.validate import build_validation_sets

    tcn_args = {"filter_widths": (3, 3), "channels": 16}
    _write(tmp_path, "tcn81", TemporalModel(**tcn_args), "tcn", tcn_args)
    vol_args = {"bins": [1, 4], "channels": 16}
    _write(tmp_path, "volumetric", VolumetricLifter(**vol_args), "volumetric", vol_args)
    traj_args = {"filter_widths": (3, 3), "channels": 8, "joints_out": 1, "zero_root": False}
    write_card(
        tmp_path, "tcn81-traj", TemporalModel(**traj_args), "tcn", traj_args,
        role="trajectory", config={}, metrics={},
    )  # fmt: skip
    assert lifter_names(tmp_path) == ["tcn81", "volumetric"]
    val = load_split(
        "smoke-val", mocap_dir=mocap_dir, cache_dir=tmp_path, files=["cmu/007_02.bvh.gz"]
    )
    rows = compare(build_validation_sets(val), tmp_path)
    assert [r["name"] for r in rows] == ["tcn81", "volumetric"]
    assert rows[0]["receptive_field"] == 9 and rows[1]["receptive_field"] == 1
    for r in rows:
        assert r["frames_per_s"] > 0 and r["parameters"] > 0
        assert 0 < r["clean"]["mpjpe"] < 5000 and r["noisy"]["mpjve"] >= 0
    table = format_table(rows)
    assert "tcn81" in table and "volumetric" in table and "frames/s" in table


def test_lift_uses_the_single_frame_model_for_a_still(mocap_dir, tmp_path):
    """lift() on one frame (a still) runs the bundled volumetric model, on a long clip the
    default; both recover unseen validation poses (synthetic 2D through a seeded camera)."""
    if registry.SINGLE_FRAME not in registry.available():
        pytest.skip("the volumetric weights are not bundled in this checkout")
    import numpy as np

    from lifting import metrics
    from lifting.camera import unnormalize_screen
    from lifting.inference import lift
    from lifting.mocap.dataset import load_split
    from lifting.train.synth import make_eval_set

    val = load_split("val-1", mocap_dir=mocap_dir, cache_dir=tmp_path, files=["cmu/007_02.bvh.gz"])
    ev = make_eval_set(val, window=120, seed=1)
    w, h = ev.size[0]
    px = np.concatenate([unnormalize_screen(ev.clean[0][..., :2], w, h), ev.clean[0][..., 2:]], -1)
    still = lift(px[:1].astype(np.float32), w, h)
    assert still.model == registry.SINGLE_FRAME and still.joints3d.shape == (1, NUM_JOINTS, 3)
    clip = lift(px.astype(np.float32), w, h)
    assert clip.model == registry.resolve("default")
    for pose, target in ((still, ev.target[0][:1]), (clip, ev.target[0])):
        assert metrics.mpjpe(pose.joints3d, target) < 0.15
