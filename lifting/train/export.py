"""Writing trained weights and their model cards (DESIGN.md §4).

``<dir>/<name>.pt`` holds ``{"format_version", "architecture", "arguments", "state_dict"}``
(tensors and plain values only; read with ``torch.load(..., weights_only=True)``) and
``<dir>/<name>.json`` is the model card: architecture and arguments, joint layout, receptive
field, training data and licences, training command, validation metrics, what the model has
not seen, and the sha256 of the ``.pt`` file.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from pathlib import Path

import torch

from ..skeleton import LIFT_JOINTS

WEIGHTS_FORMAT_VERSION = 1

TRAINING_DATA = {
    "location": "../shared/mocap (BVH; see its README.md); splits.json 'train' for training, "
    "'val' for model selection and the figures in this card",
    "sources": [
        {
            "name": "Bandai Namco Research Motion Dataset 1 and 2",
            "url": "https://github.com/BandaiNamcoResearchInc/Bandai-Namco-Research-Motiondataset",
            "licence": "CC BY-NC 4.0 (non-commercial): these weights are trained on it and must "
            "not be used in a commercial product without permission from Bandai Namco Research",
            "citation": "Kobayashi et al., Motion Capture Dataset for Practical Use of AI-based "
            "Motion Editing and Stylization, arXiv:2306.08861, 2023",
        },
        {
            "name": "CMU Graphics Lab Motion Capture Database (subjects 1, 2, 3, 5 train; 7 val)",
            "url": "http://mocap.cs.cmu.edu (iClone BVH re-export by DragonForgedTheArtist)",
            "licence": "free for research and commercial use; the motion data may not be resold "
            "as data. 'The data used in this project was obtained from mocap.cs.cmu.edu. The "
            "database was created with funding from NSF EIA-0196217.'",
        },
    ],
    "inputs": "synthetic: mocap joints projected through random virtual cameras (focal, "
    "distance 2-8 m, height, azimuth, tilt, roll) with a MediaPipe-shaped noise model, mirror "
    "augmentation and pose-space augmentation",
}

NOT_SEEN = [
    "real MediaPipe keypoints (trained on synthetic 2D from mocap joint centres; BlazePose's "
    "hip, shoulder and head landmarks sit elsewhere on the body)",
    "sitting, kneeling, lying and floor motion (absent from the data; only approximated by "
    "pose-space augmentation)",
    "children and body shapes far from the adult mocap performers",
    "more than one person, people partly outside the frame for long stretches",
    "interaction with objects or other people, climbing beyond CMU subject 1's playground",
    "camera motion (every synthetic camera is static within a window)",
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_weights(path: Path, model: torch.nn.Module, architecture: str, arguments: dict) -> None:
    """Write a model's weights (float32) with its architecture and constructor arguments."""
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    blob = {
        "format_version": WEIGHTS_FORMAT_VERSION,
        "architecture": architecture,
        "arguments": arguments,
        "state_dict": state,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(blob, tmp)
    tmp.replace(path)


def write_card(
    directory: Path,
    name: str,
    model: torch.nn.Module,
    architecture: str,
    arguments: dict,
    *,
    role: str,
    config: dict,
    metrics: dict,
    command: str | None = None,
    extra: dict | None = None,
) -> Path:
    """Save ``<directory>/<name>.pt`` and its model card ``<name>.json``; return the card path."""
    directory = Path(directory)
    pt = directory / f"{name}.pt"
    save_weights(pt, model, architecture, arguments)
    card = {
        "name": name,
        "role": role,
        "architecture": architecture,
        "arguments": arguments,
        "parameters": sum(p.numel() for p in model.parameters()),
        "receptive_field": model.receptive_field(),
        "fps": config.get("fps", 30.0),
        "input": "(B, T, 21, 3): screen-normalised 2D (x / w * 2 - [1, h / w]) + confidence, "
        "lift layout",
        "output": "(B, T, 1, 3) root position, camera frame metres"
        if role == "trajectory"
        else "(B, T, 21, 3) camera frame (x right, y down, z forward) metres, root-relative",
        "joint_layout": list(LIFT_JOINTS),
        "training_data": TRAINING_DATA,
        "training_config": config,
        "training_command": command or " ".join(shlex.quote(a) for a in sys.argv),
        "validation": metrics,
        "not_seen": NOT_SEEN,
        "weights_file": pt.name,
        "weights_sha256": sha256(pt),
        "weights_bytes": pt.stat().st_size,
    }
    card.update(extra or {})
    path = directory / f"{name}.json"
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path
