"""Adapted weights on disk: one folder per (model, clip, settings) under the user's cache.

``<cache>/adapt/<key>/`` holds ``<model>-adapted.pt/.json`` and ``<model>-adapted-traj.pt/
.json`` in the bundled weights' format (:mod:`lifting.models.registry` loads them with
``directory=``), plus ``adapt.json`` (settings and before/after figures). The cache root is
``$LIFT_CACHE`` or ``~/.cache/lift``; it is never inside ``lifting/weights`` (shipped weights
are never overwritten).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..errors import AdaptationError

STORE_VERSION = 1
SUFFIX = "-adapted"


def default_cache_dir() -> Path:
    """``$LIFT_CACHE/adapt``, else ``~/.cache/lift/adapt``."""
    return Path(os.environ.get("LIFT_CACHE", Path.home() / ".cache" / "lift")) / "adapt"


def check_outside_weights(directory: Path) -> Path:
    """``directory`` resolved; raises AdaptationError when it lies inside the bundled weights."""
    from ..models.registry import WEIGHTS_DIR

    d = Path(directory).resolve()
    if d == WEIGHTS_DIR or WEIGHTS_DIR in d.parents:
        raise AdaptationError(
            f"{d} is inside the bundled weights folder; choose another cache folder "
            "(adapted weights never replace the shipped ones)."
        )
    return d


def clip_key(model_card: dict, traj_card: dict, clip_inputs: np.ndarray, settings: dict) -> str:
    """Hex key of an adaptation: both models' weight hashes, the clip's 2D and the settings."""
    h = hashlib.sha256(f"adapt v{STORE_VERSION}".encode())
    for card in (model_card, traj_card):
        h.update(f"|{card.get('name')}:{card.get('weights_sha256')}".encode())
    h.update(np.ascontiguousarray(clip_inputs, np.float32).tobytes())
    h.update(json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()[:20]


def adapted_names(base: str) -> tuple[str, str]:
    """``(pose name, trajectory name)`` of the adapted copies of model ``base``."""
    return f"{base}{SUFFIX}", f"{base}{SUFFIX}-traj"


def is_complete(directory: Path, base: str) -> bool:
    """Whether ``directory`` holds a finished adaptation of ``base`` (written last)."""
    return (Path(directory) / "adapt.json").is_file() and all(
        (Path(directory) / f"{n}.pt").is_file() for n in adapted_names(base)
    )


def save(directory: Path, base: str, models: dict, cards: dict, summary: dict) -> None:
    """Write both adapted models with cards derived from the originals, then ``adapt.json``.

    ``models``/``cards``: ``{"pose": ..., "trajectory": ...}`` (torch modules / original cards).
    """
    from ..train.export import save_weights, sha256

    directory = check_outside_weights(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pose_name, traj_name = adapted_names(base)
    for role, name in (("pose", pose_name), ("trajectory", traj_name)):
        card = dict(cards[role])
        pt = directory / f"{name}.pt"
        save_weights(pt, models[role], card["architecture"], card["arguments"])
        card.update(
            name=name,
            adapted_from=cards[role].get("name"),
            adaptation=summary,
            weights_file=pt.name,
            weights_sha256=sha256(pt),
            weights_bytes=pt.stat().st_size,
        )
        if role == "pose":
            card["trajectory_model"] = traj_name
            card.pop("baseline_model", None)
        (directory / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    tmp = directory / "adapt.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    tmp.replace(directory / "adapt.json")
