"""Inference runtime for the shipped extension: torch CPU wheels vs ONNX Runtime, measured.

1. Wheel sizes per Blender platform: the shared set (mediapipe and its import-time closure)
   plus either ``onnxruntime`` (what ships) or ``torch`` (CPU build; the alternative).
2. CPU speed of the default lifter through both runtimes in the same run, interleaved, one
   thread each (the machine is shared): whole-clip inference with mirror test-time
   augmentation, frames per second, and the ratio ONNX Runtime / torch. Also the import and
   model-load times, which add to a user's first result.
3. The largest difference between the two outputs (metres).

Uses the bundled default weights when they exist, else a freshly initialised net of the same
architecture (speed does not depend on the weights' values; the JSON says which).

    ./run python bench/runtime.py [--frames 2000] [--repeats 5] [--out out/bench/runtime.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a script; product code never does this
    sys.path.insert(0, str(ROOT))

from tools import fetch_wheels  # noqa: E402

TORCH_VERSION = "2.13.0"
TORCH_CACHE = fetch_wheels.DEFAULT_CACHE.parent / "wheels-torch"
# PyPI's Linux torch is the CUDA build (plus ~3 GB of nvidia wheels); the CPU build a zip would
# carry comes from PyTorch's own index. This machine has that wheel on disk.
LINUX_TORCH_CPU = sorted(Path("/opt/wheels").glob(f"torch-{TORCH_VERSION}+cpu-cp311-*.whl"))


def torch_wheel(platform: str) -> Path | None:
    """torch's CPU wheel for ``platform`` (downloaded from PyPI for Windows and macOS)."""
    if platform == "linux-x64":
        return LINUX_TORCH_CPU[0] if LINUX_TORCH_CPU else None
    return fetch_wheels.fetch_one("torch", TORCH_VERSION, platform, TORCH_CACHE / platform)


def wheel_sizes() -> dict[str, dict[str, float]]:
    """MB per platform: shared set, onnxruntime, torch, and the two totals."""
    sizes = {}
    for platform in fetch_wheels.PLATFORMS:
        common = runtime = 0.0
        for name, version in fetch_wheels.packages_for(platform).items():
            path = fetch_wheels.fetch_one(
                name, version, platform, fetch_wheels.DEFAULT_CACHE / platform
            )
            mb = path.stat().st_size / 1e6
            if name.startswith("onnxruntime"):
                runtime += mb
            else:
                common += mb
        tw = torch_wheel(platform)
        torch_mb = tw.stat().st_size / 1e6 if tw else float("nan")
        sizes[platform] = {
            "shared_mb": round(common, 1),
            "onnxruntime_mb": round(runtime, 1),
            "torch_mb": round(torch_mb, 1),
            "total_onnx_mb": round(common + runtime, 1),
            "total_torch_mb": round(common + torch_mb, 1),
        }
    return sizes


def default_model():
    """``(torch model, description)``: bundled default weights, else a fresh net."""
    from lifting.models import registry
    from lifting.models.tcn import TemporalModel

    name = registry.resolve("default")
    if name in registry.available():
        model = registry.load_model(name)[0]
        return model, f"bundled weights '{name}'"
    model = TemporalModel(filter_widths=(3, 3, 3, 3), channels=512).eval()
    return model, "freshly initialised TemporalModel (3,3,3,3) x 512 channels (no weights yet)"


def import_seconds(module: str, repeats: int = 3) -> float:
    """Median wall time of ``python -c 'import module'`` in a fresh interpreter."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def speed(frames: int, repeats: int) -> dict:
    """Interleaved CPU timings of the torch and ONNX Runtime paths, one thread each."""
    import torch

    from lifting import runtime
    from lifting.models.sequence import predict_sequence as torch_sequence
    from tools import export_onnx

    torch.set_num_threads(1)
    model, what = default_model()
    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx.export_model(model, Path(tmp) / "m.onnx", name="bench")
        start = time.perf_counter()
        lifter = runtime.onnx_lifter(path, prefer="cpu", threads=1)
        ort_load = time.perf_counter() - start
        rng = np.random.default_rng(0)
        x = rng.normal(0, 0.5, (1, frames, 21, 3)).astype(np.float32)
        x[..., 2] = rng.random((1, frames, 21))
        xt = torch.from_numpy(x)
        t_torch, t_ort = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            ref = torch_sequence(model, xt, mirror=True).numpy()
            t_torch.append(time.perf_counter() - start)
            start = time.perf_counter()
            got = runtime.predict_sequence(lifter, x, mirror=True)
            t_ort.append(time.perf_counter() - start)
    fps_torch = frames / statistics.median(t_torch)
    fps_ort = frames / statistics.median(t_ort)
    return {
        "model": what,
        "receptive_field": model.receptive_field(),
        "frames": frames,
        "repeats": repeats,
        "threads": 1,
        "torch_fps": round(fps_torch),
        "onnxruntime_fps": round(fps_ort),
        "ratio_onnxruntime_over_torch": round(fps_ort / fps_torch, 2),
        "max_abs_diff_m": float(np.abs(got - ref).max()),
        "onnx_session_seconds": round(ort_load, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "runtime.json")
    args = parser.parse_args(argv)
    result = {"wheel_sizes": wheel_sizes(), "speed": speed(args.frames, args.repeats)}
    result["import_seconds"] = {
        "torch": round(import_seconds("torch"), 2),
        "onnxruntime": round(import_seconds("onnxruntime"), 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print("| platform | shared wheels | + onnxruntime | + torch CPU |")
    print("| --- | --- | --- | --- |")
    for platform, s in result["wheel_sizes"].items():
        print(
            f"| {platform} | {s['shared_mb']} MB | {s['onnxruntime_mb']} MB → "
            f"**{s['total_onnx_mb']} MB** | {s['torch_mb']} MB → {s['total_torch_mb']} MB |"
        )
    print(json.dumps({k: v for k, v in result.items() if k != "wheel_sizes"}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
