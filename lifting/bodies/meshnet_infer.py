"""Run the mesh net on a lifted clip and place its meshes in the world — NumPy only.

The shipped extension has no torch: the net runs through :mod:`.meshnet_numpy` from the
weights npz (``meshnet.npz``, written by ``lifting.train.meshnet_train.save_weights``) and
its model card (``meshnet.json``: the architecture config). The mesh hierarchy is rebuilt
from the default body exactly as in training (``mesh_graph.coarsen``, seeded).

Inputs are what the pipeline already has: the 2D keypoints in the lift layout
(``Track2D.lift2d (T, 21, 3)`` px + confidence) and the lifter's 3D
(``Pose3D.joints3d (T, 21, 3)`` camera frame, root-relative metres). The predicted meshes are
in the camera frame, root-relative; they are scaled to the subject's size (one factor per
clip) and each frame is moved onto the world motion (``Motion.joints``) by the rotation and
translation that best align the mesh's regressed joints with the motion's joints (Kabsch), so
the mesh follows the smoothed, foot-locked motion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ModelNotFoundError
from ..inference import prepare_inputs
from ..models.mesh_graph import coarsen, pooling
from ..skeleton import NUM_JOINTS
from .meshnet_numpy import MeshNetNumpy, normalise_inputs
from .model import BodyModel, load_body

WEIGHTS = Path(__file__).with_name("meshnet.npz")
FORMAT_VERSION = 1  # of the weights npz (lifting.train.meshnet_train.FORMAT_VERSION)


def pooled_regressor(model: BodyModel, levels: list, level: int) -> np.ndarray:
    """The body's joint regressor (21, N) on the vertices of hierarchy ``level``: a cluster
    carries the summed weights of its vertices (cluster vertices are their members' means)."""
    cluster = pooling(levels, level)
    out = np.zeros((NUM_JOINTS, int(cluster.max()) + 1))
    np.add.at(out.T, cluster, model.lift_regressor.T.astype(np.float64))
    return out


@dataclass
class LoadedMeshNet:
    """A mesh net ready to run: ``net`` (inputs (B, 21, 6) → vertices (B, N, 3)), the output
    level's ``faces (F, 3)`` and joint ``regressor (21, N)``, and the card's ``config``."""

    net: MeshNetNumpy
    faces: np.ndarray
    regressor: np.ndarray
    config: dict
    levels: list


def read_weights(path) -> dict:
    """Named float32 arrays of a mesh-net weights npz; FileFormatError if it is not one."""
    with np.load(path, allow_pickle=False) as data:
        version = int(data["format_version"]) if "format_version" in data.files else None
        if version != FORMAT_VERSION:
            raise FileFormatError(
                f"{path} is not a mesh-net weights file of format {FORMAT_VERSION} (found "
                f"{version}); retrain it with bench/meshnet.py --save."
            )
        return {k: data[k] for k in data.files if k != "format_version"}


def load_meshnet(path=None, model: BodyModel | None = None) -> LoadedMeshNet:
    """The mesh net at ``path`` (default: the bundled one) for ``model`` (default body)."""
    path = Path(path) if path is not None else WEIGHTS
    card = path.with_suffix(".json")
    if not path.is_file() or not card.is_file():
        raise ModelNotFoundError(
            f"No mesh net weights at {path}; train them with bench/meshnet.py --save."
        )
    config = json.loads(card.read_text())["config"]
    model = model if model is not None else load_body()
    levels = coarsen(model.vertices, model.faces, config["top_level"], seed=config["seed"])
    out = config["out_level"]
    net = MeshNetNumpy(levels, config, read_weights(path))
    return LoadedMeshNet(
        net, levels[out].faces, pooled_regressor(model, levels, out), config, levels
    )


def predict_vertices(net, lift2d: np.ndarray, joints3d: np.ndarray, width, height, *, batch=32):
    """Vertices (T, N, 3), camera frame, root-relative metres, for a clip's 2D ``lift2d
    (T, 21, 3)`` (px + confidence, NaN where missing) in a ``width`` × ``height`` video and
    its lifted 3D ``joints3d (T, 21, 3)``. ``net``: inputs (B, 21, 6) → (B, N, 3).

    The 2D is normalised as for the lifter (missing joints: confidence 0 at (0, 0), as in the
    training data), then :func:`normalise_inputs`."""
    x = prepare_inputs(lift2d, width, height)
    inputs = normalise_inputs(x[..., :2], x[..., 2], np.asarray(joints3d, dtype=np.float64))
    out = [np.asarray(net(inputs[i : i + batch])) for i in range(0, len(inputs), batch)]
    return np.concatenate(out).astype(np.float64)


def place_in_world(
    vertices: np.ndarray, regressor: np.ndarray, joints: np.ndarray, *, scale: bool = True
) -> np.ndarray:
    """Move each frame's mesh ``vertices (T, N, 3)`` so that its regressed joints
    (``regressor (21, N)``) best match world ``joints (T, 21, 3)`` (least squares).

    ``scale``: first scale the whole clip's meshes by one factor, the median over frames of the
    best per-frame similarity scale: the net always predicts the default body's size, the
    motion has the subject's (one factor, so the mesh does not breathe); then a rotation and
    translation per frame (Kabsch)."""
    vertices = np.asarray(vertices, dtype=np.float64)
    reg = np.einsum("jn,tnc->tjc", regressor, vertices)
    mu_r, mu_w = reg.mean(axis=1, keepdims=True), joints.mean(axis=1, keepdims=True)
    h = np.einsum("tji,tjk->tik", reg - mu_r, joints - mu_w)
    u, sv, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    fix = np.ones((len(h), 3))
    fix[:, 2] = d
    rot = np.swapaxes(vt, -1, -2) @ (fix[:, :, None] * np.swapaxes(u, -1, -2))
    factor = 1.0
    if scale:
        per_frame = (sv * fix).sum(axis=1) / np.square(reg - mu_r).sum(axis=(1, 2))
        factor = float(np.median(per_frame))
    return factor * np.einsum("tij,tnj->tni", rot, vertices - mu_r) + mu_w
