"""Where the bundled lifters run: device choice and one NumPy-in, NumPy-out callable per model.

The extension zip ships the lifters as ONNX files run by ONNX Runtime (a ~15 MB wheel; torch
would be 75-250 MB per platform, see docs/benchmarks.md "Packaging"). Development, training and
the tests keep PyTorch, and a model without an ``.onnx`` file (or a machine without
``onnxruntime``) runs through torch instead. Both paths give the same numbers (≤ 1e-4 m, tested
in tests/lifting/test_runtime.py).

Device choice, ``prefer="auto"``: ONNX Runtime's CUDA, then CoreML (Apple), then DirectML
(Windows), then CPU, among the providers the installed wheel has; torch's CUDA, then Apple MPS,
then CPU. ``prefer="cpu"`` forces the CPU. The chosen device is reported as ``Lifter.device``,
e.g. ``"onnxruntime:cpu"`` or ``"torch:cuda"``, so results can say where they were computed.

Arrays: inputs ``(B, T, J_in, F)`` float32 screen-normalised 2D + confidence in the lift layout;
outputs ``(B, T - 2 * pad, J_out, 3)`` float32 camera frame metres (what the model computes).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import ModelNotFoundError
from .skeleton import NUM_JOINTS, flip_permutation

PREFERENCES = ("auto", "cpu")
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
INPUT_NAME = "inputs"
OUTPUT_NAME = "outputs"

# ONNX Runtime provider -> short device name, in order of preference.
ONNX_PROVIDERS: dict[str, str] = {
    "CUDAExecutionProvider": "cuda",
    "CoreMLExecutionProvider": "coreml",
    "DmlExecutionProvider": "directml",
    "CPUExecutionProvider": "cpu",
}
# CoreML: keep float32 accumulation so results match the CPU reference.
_PROVIDER_OPTIONS: dict[str, dict[str, str]] = {
    "CoreMLExecutionProvider": {
        "ModelFormat": "MLProgram",
        "MLComputeUnits": "CPUAndGPU",
        "AllowLowPrecisionAccumulationOnGPU": "0",
    },
}


def _check_prefer(prefer: str) -> None:
    if prefer not in PREFERENCES:
        raise ValueError(f"prefer must be one of {PREFERENCES}, got {prefer!r}")


def onnx_available() -> bool:
    """Whether the ``onnxruntime`` module can be imported (without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def onnx_providers(prefer: str = "auto", available: list[str] | None = None) -> list[str]:
    """ONNX Runtime providers to try, best first; always ends with the CPU provider."""
    _check_prefer(prefer)
    if prefer == "cpu":
        return ["CPUExecutionProvider"]
    if available is None:
        import onnxruntime

        available = onnxruntime.get_available_providers()
    return [p for p in ONNX_PROVIDERS if p in available or p == "CPUExecutionProvider"]


def torch_device(prefer: str = "auto") -> str:
    """``"cuda"``, ``"mps"`` or ``"cpu"`` for torch, following ``prefer``."""
    _check_prefer(prefer)
    import torch

    if prefer == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


class Lifter:
    """A loaded lifter: ``lifter(x (B, T, J_in, F)) -> (B, T - 2 * pad, J_out, 3)``, NumPy.

    Attributes: ``receptive_field`` (frames), ``pad`` (= (receptive_field - 1) // 2),
    ``joints_out``, ``backend`` (``"onnxruntime"`` or ``"torch"``), ``device`` (e.g.
    ``"onnxruntime:cpu"``).
    """

    def __init__(
        self,
        run: Callable[[np.ndarray], np.ndarray],
        *,
        receptive_field: int,
        joints_out: int,
        backend: str,
        device: str,
    ):
        self._run = run
        self.receptive_field = int(receptive_field)
        self.pad = (self.receptive_field - 1) // 2
        self.joints_out = int(joints_out)
        self.backend = backend
        self.device = device

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 4 or x.shape[1] < self.receptive_field:
            raise ValueError(
                f"expected (B, T >= {self.receptive_field}, J, F) inputs, got {x.shape}"
            )
        return np.asarray(self._run(x), dtype=np.float32)


def session_options(providers: list[str], threads: int = 0):
    """ONNX Runtime session options for ``providers``. DirectML supports neither memory
    patterns nor parallel execution, so both are off when it is in the list (opset 17 is the
    newest DirectML runs well, which is what tools/export_onnx.py writes)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if "DmlExecutionProvider" in providers:
        options.enable_mem_pattern = False
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def onnx_lifter(path: Path, prefer: str = "auto", threads: int = 0) -> Lifter:
    """Load an ONNX lifter written by ``tools/export_onnx.py`` (its metadata gives the
    receptive field and output joints). ``threads`` 0 lets ONNX Runtime choose."""
    import onnxruntime as ort

    providers = onnx_providers(prefer)
    options = session_options(providers, threads)
    session = ort.InferenceSession(
        str(path),
        sess_options=options,
        providers=[(p, _PROVIDER_OPTIONS.get(p, {})) for p in providers],
    )
    meta = session.get_modelmeta().custom_metadata_map
    if "receptive_field" not in meta or "joints_out" not in meta:
        raise ModelNotFoundError(f"{path} lacks Lift's metadata; re-export it with tools/")
    used = session.get_providers()[0]

    def run(x: np.ndarray) -> np.ndarray:
        return session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]

    return Lifter(
        run,
        receptive_field=int(meta["receptive_field"]),
        joints_out=int(meta["joints_out"]),
        backend="onnxruntime",
        device=f"onnxruntime:{ONNX_PROVIDERS.get(used, used)}",
    )


def torch_lifter(model, prefer: str = "auto") -> Lifter:
    """Wrap a torch lifter (``model.receptive_field()``, ``model.joints_out``) as a
    :class:`Lifter` on the device :func:`torch_device` picks; the model is put in eval mode."""
    import torch

    device = torch_device(prefer)
    model = model.to(device).eval()

    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x).to(device)).float().cpu().numpy()

    return Lifter(
        run,
        receptive_field=model.receptive_field(),
        joints_out=model.joints_out,
        backend="torch",
        device=f"torch:{device}",
    )


def load_lifter(
    name: str,
    *,
    prefer: str = "auto",
    weights_dir: Path | None = None,
    torch_model: Callable[[], object] | None = None,
) -> Lifter:
    """The lifter ``name``: ``<weights_dir>[/baselines]/<name>.onnx`` through ONNX Runtime when
    both it and onnxruntime exist (the shipped extension), else ``torch_model()`` (a callable
    building the torch module with its weights loaded; the development path). Raises
    :class:`ModelNotFoundError` if neither."""
    _check_prefer(prefer)
    folder = Path(weights_dir or WEIGHTS_DIR)
    candidates = [folder / f"{name}.onnx", folder / "baselines" / f"{name}.onnx"]
    onnx_path = next((p for p in candidates if p.is_file()), candidates[0])
    if onnx_path.is_file() and onnx_available():
        return onnx_lifter(onnx_path, prefer)
    if torch_model is not None and importlib.util.find_spec("torch") is not None:
        return torch_lifter(torch_model(), prefer)
    raise ModelNotFoundError(
        f"No runnable weights for lifter {name!r} (looked for {onnx_path}); "
        "reinstall the Lift extension."
    )


def pad_edges(x: np.ndarray, pad: int) -> np.ndarray:
    """Replicate the first and last frames of ``x (B, T, ...)`` ``pad`` times each side."""
    if pad <= 0:
        return x
    widths = [(0, 0), (pad, pad)] + [(0, 0)] * (x.ndim - 2)
    return np.pad(x, widths, mode="edge")


def mirror_2d(x: np.ndarray) -> np.ndarray:
    """Mirror normalised 2D inputs ``(B, T, 21, F)``: negate x, swap left/right joints."""
    out = x[:, :, flip_permutation()].copy()
    out[..., 0] = -out[..., 0]
    return out


def mirror_3d(y: np.ndarray) -> np.ndarray:
    """Mirror camera-frame outputs ``(B, T, J, 3)``: negate x, and swap sides when J = 21."""
    out = y[:, :, flip_permutation()].copy() if y.shape[2] == NUM_JOINTS else y.copy()
    out[..., 0] = -out[..., 0]
    return out


def predict_sequence(
    lifter: Lifter, x: np.ndarray, *, mirror: bool = True, chunk: int = 10_000
) -> np.ndarray:
    """Lift whole sequences ``x (B, T, J, F)`` → ``(B, T, J_out, 3)``, one output per frame.

    NumPy twin of :func:`lifting.models.sequence.predict_sequence` (same edge padding, mirror
    test-time augmentation and chunking), so the shipped extension needs no torch.
    """
    pad = lifter.pad
    xp = pad_edges(np.asarray(x, dtype=np.float32), pad)
    if mirror:
        xp = np.concatenate([xp, mirror_2d(xp)], axis=0)
    t = x.shape[1]
    parts = [lifter(xp[:, s : min(t, s + chunk) + 2 * pad]) for s in range(0, t, chunk)]
    out = np.concatenate(parts, axis=1)
    if mirror:
        b = x.shape[0]
        out = 0.5 * (out[:b] + mirror_3d(out[b:]))
    return out
