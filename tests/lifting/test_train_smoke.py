"""A tiny real training run on a handful of mocap files: loss falls, checkpoints resume,
weights and model cards are written and load back (CI's smoke training)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lifting.models import registry
from lifting.train.cli import export_all
from lifting.train.config import TrainConfig
from lifting.train.export import sha256
from lifting.train.loop import Trainer

FILES = [
    "bandai/dataset-1_walk_happy_001.bvh.gz",
    "bandai/dataset-2_raise-up-both-hands_active_001.bvh.gz",
    "cmu/002_01.bvh.gz",
]
VAL = ["cmu/007_02.bvh.gz"]


@pytest.fixture(scope="module")
def clips(mocap_dir, tmp_path_factory):
    from lifting.mocap.dataset import load_split

    cache = tmp_path_factory.mktemp("cache")
    train = load_split("smoke", fps=30, mocap_dir=mocap_dir, cache_dir=cache, files=FILES)
    val = load_split("smoke-val", fps=30, mocap_dir=mocap_dir, cache_dir=cache, files=VAL)
    return train, val


def _config(out, steps, **kw):
    base = dict(
        out=str(out),
        name="smoke",
        channels=32,
        filter_widths=(3, 3),
        traj_channels=16,
        baseline_channels=32,
        batch=16,
        out_frames=16,
        lr=3e-3,
        lr_final=0.3,
        steps=steps,
        log_every=10,
        noise_p=0.0,
        augment_p=0.5,
        validate_minutes=0,
        seed=3,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_smoke_training_learns_resumes_and_exports(clips, tmp_path):
    train, val = clips
    trainer = Trainer(_config(tmp_path, 60), train, val)
    log = trainer.run()
    first, last = log[0], log[-1]
    assert last["step"] == 60
    for role in ("pose", "trajectory", "baseline", "baseline-noaug"):
        assert last[role] < 0.8 * first[role], (role, first, last)
    assert (tmp_path / "checkpoint.pt").is_file()

    # Resume: a new trainer with a larger budget continues from step 60, not from scratch.
    resumed = Trainer(_config(tmp_path, 70), train, val)
    log2 = resumed.run()
    assert resumed.step == 70 and log2[-1]["step"] == 70
    assert log2[-1]["pose"] < first["pose"]

    metrics = {"pose": {"clean_quick": resumed.validate()["pose"]}}
    assert metrics["pose"]["clean_quick"]["frames"] == sum(len(c.joints) for c in val)
    paths = export_all(resumed, metrics, command="pytest smoke")
    card = json.loads((tmp_path / "weights" / "smoke.json").read_text())
    assert card["receptive_field"] == 9
    assert card["trajectory_model"] == "smoke-traj"
    assert card["weights_sha256"] == sha256(tmp_path / "weights" / "smoke.pt")
    assert "CC BY-NC 4.0" in json.dumps(card["training_data"])
    assert card["not_seen"] and card["training_command"] == "pytest smoke"
    assert len(paths) == 4

    # The exported weights rebuild the same model and give the same predictions.
    model, _ = registry.load_model("smoke", directory=tmp_path / "weights")
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(1, 20, 21, 3)).astype(np.float32))
    resumed.models["pose"].eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x), resumed.models["pose"](x))


def test_same_seed_same_batches(clips, tmp_path):
    train, _ = clips
    a = Trainer(_config(tmp_path / "a", 1), train).make_batch()
    b = Trainer(_config(tmp_path / "b", 1), train).make_batch()
    for k in a:
        torch.testing.assert_close(a[k], b[k])


def test_budget_is_required(clips, tmp_path):
    train, _ = clips
    with pytest.raises(ValueError, match="budget"):
        Trainer(_config(tmp_path, 0), train).run()


def test_warm_start_loads_exported_weights(clips, tmp_path):
    """``init``: a new run starts from another run's exported weights (pose and trajectory),
    only when it has no checkpoint of its own; a mismatched architecture is a clear error."""
    train, _ = clips
    first = Trainer(_config(tmp_path / "a", 5, baseline=False), train)
    first.run()
    export_all(first, {}, command="pytest")
    weights = tmp_path / "a" / "weights"

    warm = Trainer(_config(tmp_path / "b", 0, baseline=False, init=str(weights)), train)
    assert warm.warm_start(weights, "smoke") == ["pose", "trajectory"]
    for role in ("pose", "trajectory"):
        for k, v in first.models[role].state_dict().items():
            torch.testing.assert_close(warm.models[role].state_dict()[k], v)
    cold = Trainer(_config(tmp_path / "c", 0, baseline=False), train)
    p = next(iter(cold.models["pose"].state_dict()))
    assert not torch.equal(
        cold.models["pose"].state_dict()[p], first.models["pose"].state_dict()[p]
    )

    wider = Trainer(_config(tmp_path / "d", 0, baseline=False, channels=48), train)
    with pytest.raises(ValueError, match="does not fit"):
        wider.warm_start(weights, "smoke")
    with pytest.raises(FileNotFoundError, match="no other"):
        wider.warm_start(weights, "other")


def test_freeze_bn_keeps_running_statistics(clips, tmp_path):
    """``freeze_bn``: the weights learn, the batch-norm running statistics stay as they were."""
    train, _ = clips
    trainer = Trainer(_config(tmp_path, 5, baseline=False, freeze_bn=True), train)
    bn = trainer.models["pose"].expand_bn
    mean, weight = bn.running_mean.clone(), trainer.models["pose"].expand_conv.weight.clone()
    trainer.run()
    torch.testing.assert_close(bn.running_mean, mean)
    assert not torch.equal(trainer.models["pose"].expand_conv.weight, weight)
    moving = Trainer(_config(tmp_path / "b", 5, baseline=False), train)
    before = moving.models["pose"].expand_bn.running_mean.clone()
    moving.run()
    assert not torch.equal(moving.models["pose"].expand_bn.running_mean, before)
