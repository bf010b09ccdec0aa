"""Run the mesh net on a lifted clip and place its meshes in the world.

Inputs are what the pipeline already has: the 2D keypoints in the lift layout
(``Track2D.lift2d (T, 21, 3)`` px + confidence) and the lifter's 3D
(``Pose3D.joints3d (T, 21, 3)`` camera frame, root-relative metres). The predicted meshes are
in the camera frame, root-relative; each frame is moved rigidly onto the world motion
(``Motion.joints``) by the rotation and translation that best align the mesh's regressed
joints with the motion's joints (Kabsch), so the mesh follows the smoothed, foot-locked motion.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..errors import ModelNotFoundError
from ..models.meshnet import normalise_inputs
from .model import load_body

WEIGHTS = Path(__file__).with_name("meshnet.npz")


def load_meshnet(path=None):
    """``(net, setup)`` for the mesh net weights at ``path`` (default: the bundled ones)."""
    from ..train.meshnet_train import MeshNetConfig, MeshNetSetup, load_weights

    path = Path(path) if path is not None else WEIGHTS
    card = path.with_suffix(".json")
    if not path.is_file() or not card.is_file():
        raise ModelNotFoundError(
            f"No mesh net weights at {path}; train them with bench/meshnet.py --save."
        )
    config = MeshNetConfig(**json.loads(card.read_text())["config"])
    setup = MeshNetSetup(load_body(), config)
    net = load_weights(setup, path)
    net.eval()
    return net, setup


@torch.no_grad()
def predict_vertices(net, lift2d: np.ndarray, joints3d: np.ndarray, batch: int = 256):
    """Vertices (T, N, 3), camera frame, root-relative metres, for a clip's 2D (T, 21, 3)
    (px + confidence) and lifted 3D (T, 21, 3)."""
    lift2d = np.asarray(lift2d, dtype=np.float64)
    inputs = torch.from_numpy(normalise_inputs(lift2d[..., :2], lift2d[..., 2], joints3d))
    out = [net(inputs[i : i + batch]) for i in range(0, len(inputs), batch)]
    return torch.cat(out).numpy().astype(np.float64)


def place_in_world(vertices: np.ndarray, regressor: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """Move each frame's mesh ``vertices (T, N, 3)`` rigidly so that its regressed joints
    (``regressor (21, N)``) best match world ``joints (T, 21, 3)`` (least squares, no scale)."""
    reg = np.einsum("jn,tnc->tjc", regressor, vertices)
    mu_r, mu_w = reg.mean(axis=1, keepdims=True), joints.mean(axis=1, keepdims=True)
    h = np.einsum("tji,tjk->tik", reg - mu_r, joints - mu_w)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    fix = np.ones((len(h), 3))
    fix[:, 2] = d
    rot = np.swapaxes(vt, -1, -2) @ (fix[:, :, None] * np.swapaxes(u, -1, -2))
    return np.einsum("tij,tnj->tni", rot, vertices - mu_r) + mu_w
