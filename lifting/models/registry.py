"""Bundled lifters by name: ``lifting/weights/<name>.pt`` beside its model card ``<name>.json``.

``"default"`` resolves to :data:`DEFAULT`. A pose model's card names its trajectory model
(``trajectory_model``) and its single-frame baseline (``baseline_model``). Baselines, which
only the evaluate command and the benchmarks use, live in ``weights/baselines/`` so packaging
can leave them out. Weights are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import FileFormatError, ModelNotFoundError

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT = "tcn81"
SUPPORTED_WEIGHTS_VERSION = 1
WEIGHT_SUFFIXES = (".pt", ".onnx")  # .onnx alone in the extension zip (lifting/runtime.py)
SINGLE_FRAME = "volumetric"  # lifts clips too short for a temporal model (see for_clip)


def resolve(name: str) -> str:
    """The real model name of ``name`` (``"default"`` → :data:`DEFAULT`)."""
    return DEFAULT if name in ("", "default", None) else name


def available(directory: Path | None = None) -> list[str]:
    """Names of the models with both weights and a card in ``directory`` (default bundled),
    including its ``baselines/`` subfolder."""
    d = Path(directory) if directory else WEIGHTS_DIR
    return sorted(
        p.stem
        for folder in (d, d / "baselines")
        for p in folder.glob("*.json")
        if any((folder / f"{p.stem}{suffix}").is_file() for suffix in WEIGHT_SUFFIXES)
    )


def card_path(name: str, directory: Path | None = None) -> tuple[Path, Path]:
    """``(weights, card .json)`` paths of model ``name``; raises ModelNotFoundError. The
    weights are the ``.pt`` file, or in the installed extension (which ships no torch) the
    ``.onnx`` export that tools/build_extension.py puts in its place."""
    d = Path(directory) if directory else WEIGHTS_DIR
    name = resolve(name)
    for folder in (d, d / "baselines"):
        for suffix in WEIGHT_SUFFIXES:
            pt, card = folder / f"{name}{suffix}", folder / f"{name}.json"
            if pt.is_file() and card.is_file():
                return pt, card
    raise ModelNotFoundError(
        f"No lifting model {name!r} in {d} (need {name}.pt and {name}.json). "
        f"Available: {', '.join(available(d)) or 'none'}."
    )


def load_card(name: str, directory: Path | None = None) -> dict:
    """The model card (JSON) of ``name``."""
    return json.loads(card_path(name, directory)[1].read_text())


def load_model(name: str, directory: Path | None = None, device: str = "cpu"):
    """Build model ``name`` from its weights file; returns ``(model in eval mode, card)``."""
    import torch

    pt, card_file = card_path(name, directory)
    blob = torch.load(pt, map_location=device, weights_only=True)
    if not isinstance(blob, dict) or blob.get("format_version") != SUPPORTED_WEIGHTS_VERSION:
        raise FileFormatError(
            f"{pt} is not a Lift weights file of format_version {SUPPORTED_WEIGHTS_VERSION}; "
            "re-export it with `python -m lifting train`."
        )
    model = build_model(blob["architecture"], **blob["arguments"])
    model.load_state_dict(blob["state_dict"])
    return model.to(device).eval(), json.loads(card_file.read_text())


def build_model(architecture: str, **kwargs):
    """Build a torch lifter by architecture name: ``"tcn"``, ``"mlp"`` (lifting/models/tcn.py),
    ``"glagcn"`` (glagcn.py) or ``"volumetric"`` (volumetric.py)."""
    if architecture == "glagcn":
        from .glagcn import GLAGCN

        return GLAGCN(**kwargs)
    if architecture == "volumetric":
        from .volumetric import VolumetricLifter

        if "bins" in kwargs:
            kwargs["bins"] = tuple(kwargs["bins"])
        return VolumetricLifter(**kwargs)
    from .tcn import build_model as build_tcn

    return build_tcn(architecture, **kwargs)


def min_frames(card: dict) -> int:
    """Fewest frames a model is meant for: ``(receptive_field + 1) // 2``, i.e. below it not
    even the middle frame has a half window of real frames on either side (only padding)."""
    return (int(card.get("receptive_field", 1)) + 1) // 2


def for_clip(name: str, frames: int, directory: Path | None = None) -> str:
    """The model to lift a clip of ``frames`` frames with when the user chose ``name``: the
    chosen model, or :data:`SINGLE_FRAME` when the clip is shorter than the chosen temporal
    model needs (:func:`min_frames`) and the single-frame model is bundled."""
    name = resolve(name)
    if name == SINGLE_FRAME or SINGLE_FRAME not in available(directory):
        return name
    return SINGLE_FRAME if frames < min_frames(load_card(name, directory)) else name
