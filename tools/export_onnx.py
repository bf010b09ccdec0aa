"""Export Lift's torch lifters to ONNX for the extension zip (run by ``lifting.runtime``).

The ONNX file takes ``inputs (B, T, J_in, F)`` float32 with B and T dynamic and returns
``outputs (B, T - receptive_field + 1, J_out, 3)``; its metadata carries ``receptive_field``,
``joints_in``, ``features_in``, ``joints_out``, the model ``name`` and the ``source_sha256`` of
the ``.pt`` it came from. The export is checked against the torch forward on the spot
(max abs difference ≤ 1e-4 m) so a bad export never ships.

    python tools/export_onnx.py --out build/onnx          # every bundled model
    python tools/export_onnx.py --out build/onnx default  # one model
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a tool run as a script; product code never does this
    sys.path.insert(0, str(ROOT))

from lifting.runtime import INPUT_NAME, OUTPUT_NAME, WEIGHTS_DIR, onnx_lifter  # noqa: E402

OPSET = 17
TOLERANCE_M = 1e-4


class ExportMismatchError(RuntimeError):
    """The ONNX model's output differs from the torch model's by more than the tolerance."""


def export_model(model, path: Path, *, name: str, source_sha256: str = "") -> Path:
    """Write ``model`` (a torch lifter with ``receptive_field()``, ``joints_in``,
    ``features_in``, ``joints_out``) to ``path`` as ONNX with Lift's metadata; returns path."""
    import onnx
    import torch

    model = model.cpu().eval()
    rf = int(model.receptive_field())
    example = torch.zeros(1, rf + 8, model.joints_in, model.features_in)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shape checks and the old exporter
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {0: "batch", 1: "frames"},
                OUTPUT_NAME: {0: "batch", 1: "out"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load(str(path))
    meta = {
        "name": name,
        "receptive_field": rf,
        "joints_in": model.joints_in,
        "features_in": model.features_in,
        "joints_out": model.joints_out,
        "source_sha256": source_sha256,
        "format_version": 1,
    }
    onnx.helper.set_model_props(proto, {k: str(v) for k, v in meta.items()})
    onnx.save(proto, str(path))
    return path


def max_difference(model, path: Path, *, frames: int = 300, batch: int = 2, seed: int = 0):
    """Max abs difference (metres) between torch ``model`` and the ONNX file at ``path`` on
    random inputs ``(batch, frames, J_in, F)`` (confidence in [0, 1]), both on the CPU."""
    import torch

    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.5, (batch, frames, model.joints_in, model.features_in))
    x[..., -1] = rng.random(x.shape[:-1])
    x = x.astype(np.float32)
    with torch.no_grad():
        ref = model.cpu().eval()(torch.from_numpy(x)).numpy()
    got = onnx_lifter(path, prefer="cpu")(x)
    if got.shape != ref.shape:
        raise ExportMismatchError(f"ONNX output {got.shape} != torch output {ref.shape}")
    return float(np.abs(got - ref).max())


def export_checked(model, path: Path, *, name: str, source_sha256: str = "") -> float:
    """Export and verify; raises :class:`ExportMismatchError` beyond ``TOLERANCE_M``."""
    export_model(model, path, name=name, source_sha256=source_sha256)
    diff = max_difference(model, path)
    if not diff <= TOLERANCE_M:
        path.unlink()
        raise ExportMismatchError(f"{name}: ONNX differs from torch by {diff:.2e} m")
    return diff


def bundled_weights(weights_dir: Path = WEIGHTS_DIR) -> dict[str, Path]:
    """Bundled model name -> its ``.pt``: every ``<name>.pt`` beside a ``<name>.json`` model
    card in ``weights_dir`` or its ``baselines/`` (the registry's rule, without importing it:
    listing must work before any model exists)."""
    found = {}
    for folder in (weights_dir, weights_dir / "baselines"):
        for card in sorted(folder.glob("*.json")):
            if card.with_suffix(".pt").is_file():
                found.setdefault(card.stem, card.with_suffix(".pt"))
    return dict(sorted(found.items()))


def bundled_models(weights_dir: Path = WEIGHTS_DIR) -> list[str]:
    """Names of the bundled models (see :func:`bundled_weights`)."""
    return list(bundled_weights(weights_dir))


def load_bundled(name: str):
    """The torch module of bundled model ``name`` with its weights, in eval mode."""
    from lifting.models import registry

    return registry.load_model(name)[0]


def export_bundled(out_dir: Path, names: list[str] | None = None) -> dict[str, float]:
    """Export bundled models into ``out_dir`` (``<name>.onnx`` in the same subfolder as the
    ``.pt``, e.g. ``baselines/``); returns name -> max abs difference (m)."""
    weights = bundled_weights()
    results = {}
    for name in names or list(weights):
        pt = weights[name]
        sha = hashlib.sha256(pt.read_bytes()).hexdigest()
        target = out_dir / pt.relative_to(WEIGHTS_DIR).with_suffix(".onnx")
        results[name] = export_checked(load_bundled(name), target, name=name, source_sha256=sha)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="bundled model names (default: all)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    for name, diff in export_bundled(args.out, args.names or None).items():
        print(f"{name}: max |onnx - torch| = {diff:.2e} m")
    return 0


if __name__ == "__main__":
    sys.exit(main())
