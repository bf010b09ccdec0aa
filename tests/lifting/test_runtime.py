"""lifting.runtime: device choice, the ONNX path against the torch reference (≤ 1e-4 m)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from lifting import runtime  # noqa: E402
from lifting.errors import ModelNotFoundError  # noqa: E402
from lifting.models.sequence import predict_sequence as torch_predict_sequence  # noqa: E402
from lifting.models.tcn import TemporalModel  # noqa: E402
from tools import export_onnx  # noqa: E402


def _trained_looking(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give batch-norm layers non-trivial running statistics and affine parameters, as
    training would, so the export is checked on more than identity normalisation."""
    gen = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=gen) * 0.3)
            module.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
    return model.eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A freshly initialised 27-frame TCN and its ONNX export."""
    torch.manual_seed(0)
    model = _trained_looking(TemporalModel(filter_widths=(3, 3, 3), channels=128))
    path = tmp_path_factory.mktemp("onnx") / "fresh.onnx"
    export_onnx.export_model(model, path, name="fresh")
    return model, path


def test_onnx_matches_torch_forward(exported):
    model, path = exported
    diff = export_onnx.max_difference(model, path, frames=157, batch=3)
    assert diff <= 1e-4, diff


def test_onnx_metadata_and_device(exported):
    model, path = exported
    lifter = runtime.onnx_lifter(path, prefer="cpu")
    assert lifter.receptive_field == model.receptive_field() == 27
    assert lifter.pad == 13
    assert lifter.joints_out == 21
    assert lifter.backend == "onnxruntime"
    assert lifter.device == "onnxruntime:cpu"


def test_numpy_sequence_matches_torch_sequence(exported):
    """Padding, mirror averaging and chunking in NumPy + ONNX == the torch reference path."""
    model, path = exported
    lifter = runtime.onnx_lifter(path, prefer="cpu")
    rng = np.random.default_rng(1)
    for frames in (5, 64):  # shorter and longer than the receptive field
        x = rng.normal(0, 0.5, (2, frames, 21, 3)).astype(np.float32)
        ref = torch_predict_sequence(model, torch.from_numpy(x), mirror=True, chunk=20).numpy()
        got = runtime.predict_sequence(lifter, x, mirror=True, chunk=20)
        assert got.shape == (2, frames, 21, 3)
        assert np.abs(got - ref).max() <= 1e-4
        assert np.allclose(got[:, :, 0], 0.0)  # the root stays at the origin


def test_export_detects_a_different_model(exported):
    """The equivalence check can fail: another model's weights behind the same file differ."""
    _, path = exported
    torch.manual_seed(5)
    other = _trained_looking(TemporalModel(filter_widths=(3, 3, 3), channels=128), seed=5)
    assert export_onnx.max_difference(other, path) > 1e-3


def test_load_lifter_prefers_onnx_then_torch(exported, tmp_path):
    model, path = exported
    (tmp_path / "fresh.onnx").write_bytes(path.read_bytes())
    lifter = runtime.load_lifter("fresh", prefer="cpu", weights_dir=tmp_path)
    assert lifter.backend == "onnxruntime"
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "base.onnx").write_bytes(path.read_bytes())
    assert runtime.load_lifter("base", prefer="cpu", weights_dir=tmp_path).backend == "onnxruntime"
    lifter = runtime.load_lifter(
        "other", prefer="cpu", weights_dir=tmp_path, torch_model=lambda: model
    )
    assert (lifter.backend, lifter.device) == ("torch", "torch:cpu")
    x = np.zeros((1, 30, 21, 3), np.float32)
    assert lifter(x).shape == (1, 4, 21, 3)
    with pytest.raises(ModelNotFoundError, match="reinstall"):
        runtime.load_lifter("missing", weights_dir=tmp_path)


def test_lifter_rejects_too_short_input(exported):
    _, path = exported
    with pytest.raises(ValueError, match="T >= 27"):
        runtime.onnx_lifter(path, prefer="cpu")(np.zeros((1, 10, 21, 3), np.float32))


def test_provider_order_and_cpu_preference():
    everything = [
        "CPUExecutionProvider",
        "DmlExecutionProvider",
        "CoreMLExecutionProvider",
        "CUDAExecutionProvider",
    ]
    assert runtime.onnx_providers("auto", everything) == [
        "CUDAExecutionProvider",
        "CoreMLExecutionProvider",
        "DmlExecutionProvider",
        "CPUExecutionProvider",
    ]
    assert runtime.onnx_providers("auto", ["CoreMLExecutionProvider"]) == [
        "CoreMLExecutionProvider",
        "CPUExecutionProvider",
    ]
    assert runtime.onnx_providers("cpu", everything) == ["CPUExecutionProvider"]
    assert runtime.torch_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="prefer"):
        runtime.onnx_providers("gpu")


def test_directml_session_options():
    """DirectML rejects sessions with memory patterns or parallel execution."""
    import onnxruntime as ort

    dml = runtime.session_options(["DmlExecutionProvider", "CPUExecutionProvider"], threads=2)
    assert not dml.enable_mem_pattern
    assert dml.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert dml.intra_op_num_threads == 2
    assert runtime.session_options(["CPUExecutionProvider"]).enable_mem_pattern


def test_auto_device_on_this_machine():
    """'auto' picks what the machine has; on a CPU-only machine that is the CPU."""
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None and torch.backends.mps.is_available():
        expected = "mps"
    assert runtime.torch_device("auto") == (expected or "cpu")


@pytest.mark.parametrize("architecture", ["tcn", "mlp", "glagcn", "volumetric"])
def test_every_architecture_exports_to_the_same_3d(architecture, tmp_path):
    """Each lifter architecture the registry can build (default arguments, fresh weights with
    non-trivial batch-norm statistics) survives the ONNX export within 1e-4 m."""
    registry = pytest.importorskip("lifting.models.registry")
    if not hasattr(registry, "build_model"):
        pytest.skip("this registry builds TCNs only")
    torch.manual_seed(0)
    try:
        model = registry.build_model(architecture)
    except (ImportError, ValueError) as err:
        pytest.skip(f"{architecture} is not available here: {err}")
    model = _trained_looking(model)
    path = export_onnx.export_model(model, tmp_path / f"{architecture}.onnx", name=architecture)
    frames = model.receptive_field() + 40
    assert export_onnx.max_difference(model, path, frames=frames) <= 1e-4


@pytest.mark.parametrize("name", export_onnx.bundled_models())
def test_bundled_weights_export_matches_torch(name, tmp_path):
    """Every bundled model's shipped ONNX form gives the torch model's 3D within 1e-4 m."""
    diffs = export_onnx.export_bundled(tmp_path, [name])
    assert diffs[name] <= 1e-4
