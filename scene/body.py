# SPDX-License-Identifier: GPL-3.0-or-later
"""Body meshes in Blender: a skinned mesh (vertex groups + Armature modifier) on a Lift armature.

Two ways in:

- :func:`add_body_mesh` puts a body on an armature that already exists — the one
  ``apply_result`` builds and keys (the body is conformed to its rest skeleton, so nothing
  else needs keying; the retarget and export tools keep working on the same armature);
- :func:`build_body` builds a body's own armature for world joints and keys it through the
  KeyframePlan writer (``keyframes.write_plan``), for scripts and the body tests.

Bodies come from :func:`load_body_model`: ``"DEFAULT"`` (the bundled CC0 body), ``"SMPL"``
(the user's own SMPL ``.pkl``/``.npz``, read without running any code in it) or ``"MESHNET"``
(the Pose2Mesh-style mesh net: a decimated default body predicted per frame from the clip's
2D and lifted 3D, animated by shape keys — :func:`add_meshnet_body`);
:func:`add_chosen_body` puts whichever it is on ``apply_result``'s armature.
"""

import bpy
import numpy as np

from ..lifting.bodies import BONE_NAMES, conform, load_body
from ..lifting.bodies.fit import fit_body
from ..lifting.bodies.smpl import load_smpl
from ..lifting.errors import FileFormatError
from ..lifting.retarget import ROOT_BONE, lift_rest_skeleton
from ..lifting.retarget.lift_rig import fill_missing
from .armature import build_armature, rest_matrices
from .keyframes import pose_plan, write_plan

BODY_KINDS = ("NONE", "DEFAULT", "SMPL", "MESHNET")
SOURCE_PROP = "lift_body"  # custom property on the mesh: what body it is


def load_body_model(kind: str, smpl_path: str = ""):
    """The body model for a sidebar choice (None for ``"NONE"``; for ``"MESHNET"`` the loaded
    mesh net). Raises LiftError subclasses (FileFormatError, UnsafePickleError) with a message
    for a bad SMPL file, ModelNotFoundError when the mesh net's weights are missing."""
    if kind == "NONE":
        return None
    if kind == "DEFAULT":
        return load_body()
    if kind == "SMPL":
        if not smpl_path:
            raise FileFormatError("Body mesh is set to SMPL but no SMPL file is chosen.")
        return load_smpl(bpy.path.abspath(smpl_path))
    if kind == "MESHNET":
        from ..lifting.bodies.meshnet_infer import load_meshnet

        return load_meshnet()
    raise ValueError(f"body kind must be one of {BODY_KINDS}, not {kind!r}")


def add_body_mesh(collection, armature, rest, model, name: str = "Lift Body"):
    """A new mesh object for ``model`` skinned to ``armature`` (whose rest skeleton is ``rest``).

    The body is conformed to ``rest`` (its proportions and rest pose), gets one vertex group
    per Lift bone and an Armature modifier; it is parented to the armature without moving.
    """
    verts = conform(model, rest)
    mesh = bpy.data.meshes.new(name)
    _fill_mesh(mesh, verts, model.faces)
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    _add_vertex_groups(obj, model)
    obj.parent = armature
    obj.matrix_parent_inverse = armature.matrix_world.inverted()
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = armature
    modifier.use_vertex_groups = True
    modifier.use_bone_envelopes = False
    obj[SOURCE_PROP] = model.name
    return obj


def _fill_mesh(mesh, verts: np.ndarray, faces: np.ndarray) -> None:
    """Vertices (V, 3) and triangles (F, 3) into an empty mesh, through ``foreach_set``."""
    faces = np.asarray(faces, dtype=np.int32)
    mesh.vertices.add(len(verts))
    mesh.vertices.foreach_set("co", np.asarray(verts, dtype=np.float32).ravel())
    mesh.loops.add(faces.size)
    mesh.loops.foreach_set("vertex_index", faces.ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    mesh.polygons.foreach_set("use_smooth", np.ones(len(faces), dtype=bool))
    mesh.update()
    mesh.validate()


def _add_vertex_groups(obj, model) -> None:
    """One vertex group per Lift bone with the model's skin weights."""
    groups = [obj.vertex_groups.new(name=bone) for bone in BONE_NAMES]
    idx, weights = model.skin_indices, model.skin_weights
    for k in range(idx.shape[1]):
        for b, group in enumerate(groups):
            rows = np.flatnonzero((idx[:, k] == b) & (weights[:, k] > 0))
            # one call per weight value (rounded to 1e-3; the modifier normalises the sum)
            w = np.round(weights[rows, k], 3)
            for value in np.unique(w):
                group.add(rows[w == value].tolist(), float(value), "ADD")


def build_body(context, model, joints: np.ndarray, frames: np.ndarray, name: str = "Lift Body"):
    """A new armature + skinned body following world ``joints (T, 21, 3)``, keyed at scene
    ``frames (T,)``. Returns ``{"armature", "mesh", "action"}``. Object Mode only."""
    collection = context.collection or context.scene.collection
    joints = fill_missing(np.asarray(joints, dtype=np.float64))
    rest = lift_rest_skeleton(joints)
    armature = build_armature(collection, rest, f"{name} Rig")
    rest.matrices = rest_matrices(armature)  # exactly what Blender stored
    fit = fit_body(model, joints, rest=rest)
    plan = pose_plan(frames, rest.names, fit.rotations, {ROOT_BONE: fit.root_locations})
    action = bpy.data.actions.new(f"{armature.name}Action")
    write_plan(action, armature, plan)
    mesh = add_body_mesh(collection, armature, rest, model, name)
    return {"armature": armature, "mesh": mesh, "action": action}


def add_mesh_animation(collection, vertices: np.ndarray, faces, frames, name="Lift Mesh"):
    """A new mesh animated per frame by shape keys: ``vertices (T, N, 3)`` world metres at
    scene ``frames (T,)``; ``faces (F, 3)``. Key ``t`` is 1 at its frame and 0 at its
    neighbours' (keyed through the KeyframePlan writer), so Blender blends consecutive frames
    linearly in between. For short clips (one shape key per frame). Returns the object."""
    verts = np.asarray(vertices, dtype=np.float32)
    frames = np.asarray(frames, dtype=np.float32)
    mesh = bpy.data.meshes.new(name)
    _fill_mesh(mesh, verts[0], faces)
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    plan = {}
    for t in range(len(verts)):
        block = obj.shape_key_add(name=f"frame_{t:05d}", from_mix=False)
        block.data.foreach_set("co", verts[t].ravel())
        lo, hi = max(t - 1, 0), min(t + 1, len(verts) - 1)
        keys = sorted({(frames[lo], 0.0), (frames[t], 1.0), (frames[hi], 0.0)} - {(frames[t], 0.0)})
        plan[(f'key_blocks["{block.name}"].value', 0)] = np.array(keys, dtype=np.float32)
    key = mesh.shape_keys
    action = bpy.data.actions.new(f"{name}ShapeKeys")
    write_plan(action, key, plan)
    return obj


def add_meshnet_body(
    context, result, frames, weights=None, name: str = "Lift Mesh Net", *, net=None, parent=None
):
    """The mesh net's body for a ``PipelineResult``: meshes predicted from the clip's 2D and
    lifted 3D, placed on the world motion, animated by shape keys at scene ``frames (T,)``.
    ``net``: a loaded mesh net (``load_body_model("MESHNET")``), else the one at ``weights``
    (default: the bundled one; ModelNotFoundError if none). ``parent``: an object (the Lift
    armature) to parent the mesh to without moving it. Runs without torch (NumPy)."""
    from ..lifting.bodies.meshnet_infer import load_meshnet, place_in_world, predict_vertices

    net = net if net is not None else load_meshnet(weights)
    track = result.track
    cam = predict_vertices(net.net, track.lift2d, result.pose.joints3d, track.width, track.height)
    joints = fill_missing(np.asarray(result.motion.joints, dtype=np.float64))
    world = place_in_world(cam, net.regressor, joints)
    collection = context.collection or context.scene.collection
    obj = add_mesh_animation(collection, world, net.faces, frames, name)
    obj[SOURCE_PROP] = "Mesh net (Pose2Mesh)"
    if parent is not None:
        obj.parent = parent
        obj.matrix_parent_inverse = parent.matrix_world.inverted()
    return obj


def add_chosen_body(context, armature, rest, model, *, result, frames, name: str = "Lift Body"):
    """The body :func:`load_body_model` gave (a body model, or the mesh net) on the Lift
    ``armature`` of ``result``, keyed at scene ``frames``; returns the mesh object."""
    from ..lifting.bodies.meshnet_infer import LoadedMeshNet

    if isinstance(model, LoadedMeshNet):
        return add_meshnet_body(context, result, frames, name=name, net=model, parent=armature)
    collection = context.collection or context.scene.collection
    return add_body_mesh(collection, armature, rest, model, name)
