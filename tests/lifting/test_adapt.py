"""Adapting the bundled lifter to the sample clip's real MediaPipe keypoints (lifting/adapt):
the back-projection error falls, the result is cached outside the bundled weights, cancel
leaves nothing behind, the CLI and the pipeline option work."""

from __future__ import annotations

import hashlib
import itertools
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from lifting import adapt as adapt_pkg
from lifting.__main__ import main as cli
from lifting.adapt import store
from lifting.adapt.api import adapt, lift_adapted
from lifting.errors import AdaptationError, AdaptationUnavailableError, Cancelled
from lifting.models import registry

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
VIDEO = SAMPLE / "walk.mp4"
FILES = ["bandai/dataset-1_walk_happy_001.bvh.gz", "cmu/007_03.bvh.gz"]

pytestmark = [
    pytest.mark.skipif(not VIDEO.exists(), reason="the sample clip is missing"),
    pytest.mark.usefixtures("one_torch_thread"),
]


@pytest.fixture(scope="module")
def track():
    from lifting.keypoints import extract_keypoints

    return extract_keypoints(VIDEO, workers=1)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_adaptation_lowers_the_back_projection_error_and_is_cached(track, tmp_path, mocap_dir):
    shipped = {p: _digest(p) for p in registry.WEIGHTS_DIR.glob("tcn81*.pt")}
    fractions = []
    result = adapt("default", track, 8.0, fractions.append, cache_dir=tmp_path)
    bp = result.summary["backprojection_px"]
    assert result.summary["supervised_mocap"] and result.summary["steps"] > 0
    assert bp["after"] < bp["before"]
    assert fractions[-1] == 1.0 and all(b >= a for a, b in itertools.pairwise(fractions))
    assert result.directory.parent == tmp_path.resolve()
    assert registry.WEIGHTS_DIR not in result.directory.parents
    assert {p: _digest(p) for p in shipped} == shipped  # bundled weights untouched
    pose = lift_adapted(result, track.lift2d, track.width, track.height, fps=track.fps)
    assert pose.joints3d.shape == (len(track), 21, 3) and np.isfinite(pose.joints3d).all()
    assert pose.model.endswith("-adapted")
    again = adapt("default", track, 8.0, cache_dir=tmp_path)
    assert again.cached and again.directory == result.directory


def test_cancel_stops_adaptation_and_writes_nothing(track, tmp_path):
    cancel = threading.Event()

    def progress(f):
        if f > 0:
            cancel.set()

    with pytest.raises(Cancelled):
        adapt("default", track, 30.0, progress, cancel, cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_adapted_weights_never_go_into_the_bundled_weights(track):
    with pytest.raises(AdaptationError, match="bundled weights"):
        adapt("default", track, 5.0, cache_dir=registry.WEIGHTS_DIR)
    with pytest.raises(AdaptationError, match="bundled weights"):
        store.check_outside_weights(registry.WEIGHTS_DIR / "x" / "y")
    assert registry.WEIGHTS_DIR not in store.default_cache_dir().resolve().parents


def test_a_budget_below_a_second_is_refused(track, tmp_path):
    with pytest.raises(AdaptationError, match="at least"):
        adapt("default", track, 0.1, cache_dir=tmp_path)


def test_without_torch_the_pipeline_says_so_before_detecting(monkeypatch):
    from lifting.pipeline import PipelineSettings, run_pipeline

    monkeypatch.setattr(adapt_pkg, "torch_available", lambda: False)
    stages = []
    with pytest.raises(AdaptationUnavailableError, match="PyTorch"):
        run_pipeline(
            PipelineSettings(video=str(VIDEO), adapt_minutes=1.0), lambda s, f: stages.append(s)
        )
    assert stages == []


@pytest.mark.slow
def test_cli_adapts_and_lifts(track, tmp_path, capsys, mocap_dir):
    kp = tmp_path / "kp.npz"
    track.save(kp)
    out = tmp_path / "pose.npz"
    args = ["adapt", str(kp), "--minutes", "0.05", "--cache-dir", str(tmp_path / "c")]
    assert cli([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "back-projection error" in text and "weights:" in text
    with np.load(out) as f:
        assert f["joints3d"].shape == (len(track), 21, 3)
    assert cli([*args, "--out", str(out)]) == 1  # never overwrites without --force


def test_teacher_student_regulariser_runs_every_term(track, mocap_dir):
    from lifting.adapt.clips import AdaptClip
    from lifting.adapt.loop import AdaptConfig, Adapter
    from lifting.mocap.dataset import load_split

    pose, _ = registry.load_model("default")
    traj, _ = registry.load_model("tcn81-traj")
    clip = AdaptClip.from_keypoints(track.lift2d, track.width, track.height, fps=track.fps)
    source = load_split("adapt-ts", mocap_dir=mocap_dir, cache_dir=False, files=FILES)
    cfg = AdaptConfig(teacher_student=True, ts_warmup=0.0, batch=4, sup_batch=4)
    adapter = Adapter(pose, traj, [clip], source, cfg)
    losses = adapter.step(0.5)
    expected = {"backproj", "bone", "supervised", "teacher", "student", "distill"}
    assert expected | {"equivariance"} == set(losses)
    assert all(np.isfinite(v) for v in losses.values())
    # the originals are not changed by adapting their copies
    changed = any(
        not torch.equal(a, b)
        for a, b in zip(pose.state_dict().values(), adapter.pose.state_dict().values(), strict=True)
    )
    assert changed


@pytest.mark.slow
def test_pipeline_adapts_before_lifting(tmp_path, monkeypatch, mocap_dir):
    from lifting.mocap.dataset import default_cache_dir
    from lifting.pipeline import PipelineSettings, clear_cache, run_pipeline

    mocap_cache = default_cache_dir()
    mocap_cache.mkdir(parents=True, exist_ok=True)
    (tmp_path / "mocap").symlink_to(mocap_cache)  # adapted weights in tmp, mocap cache shared
    monkeypatch.setenv("LIFT_CACHE", str(tmp_path))
    clear_cache()
    stages = []
    result = run_pipeline(
        PipelineSettings(video=str(VIDEO), adapt_minutes=0.05), lambda s, f: stages.append(s)
    )
    assert "adapt" in stages and stages.index("adapt") < stages.index("lift")
    assert result.pose.model.endswith("-adapted")
    assert result.motion.joints.shape == (len(result.track), 21, 3)
    assert any((tmp_path / "adapt").iterdir())
    clear_cache()
