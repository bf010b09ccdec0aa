"""Body meshes in Blender: Blender's Armature modifier deforms the body exactly as the NumPy
skinning does, the body follows the motion's joints, SMPL files (synthetic) and bad files."""

import bpy
import numpy as np
import pytest
from conftest import DATA
from smpl_files import write_smpl_files


@pytest.fixture(scope="module")
def walk():
    with np.load(DATA / "sample" / "walk.npz") as data:
        return data["joints_world"][:60].astype(np.float64)


def evaluated_vertices(obj, frame) -> np.ndarray:
    """World positions (V, 3) of an object's deformed mesh at a scene frame."""
    bpy.context.scene.frame_set(frame)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        co = np.empty(3 * len(mesh.vertices), dtype=np.float32)
        mesh.vertices.foreach_get("co", co)
    finally:
        evaluated.to_mesh_clear()
    mw = np.array(obj.matrix_world)
    return co.reshape(-1, 3) @ mw[:3, :3].T + mw[:3, 3]


def test_default_body_is_keyed_and_deforms_like_numpy(empty_scene, walk):
    from lift_mocap.lifting.bodies import BONE_NAMES, load_body
    from lift_mocap.lifting.bodies.fit import fit_body, posed_vertices
    from lift_mocap.scene import compat
    from lift_mocap.scene.body import build_body

    model = load_body()
    frames = np.arange(1, len(walk) + 1, dtype=np.float64)
    created = build_body(bpy.context, model, walk, frames)
    arm, mesh, action = created["armature"], created["mesh"], created["action"]
    curves = compat.action_fcurves(action, arm)
    assert len(curves) == 4 * len(BONE_NAMES) + 3
    assert all(len(c.keyframe_points) == len(walk) for c in curves)
    assert len(mesh.data.vertices) == len(model.vertices)
    assert [g.name for g in mesh.vertex_groups] == list(BONE_NAMES)
    assert mesh.modifiers[0].type == "ARMATURE" and mesh.modifiers[0].object == arm
    fit = fit_body(model, walk)
    for i in (0, 23, 59):
        got = evaluated_vertices(mesh, 1 + i)
        want = posed_vertices(model, fit, slice(i, i + 1))[0]
        assert np.abs(got - want).max() < 2e-3, i  # float32 rolls, weights rounded to 1e-3
        joints = model.regress(got)
        assert np.linalg.norm(joints - walk[i], axis=-1).mean() < 0.015, i


def test_body_on_the_armature_apply_result_builds(empty_scene, gt_result):
    from lift_mocap.lifting.bodies import load_body
    from lift_mocap.lifting.retarget import lift_rest_skeleton
    from lift_mocap.scene.apply import apply_result
    from lift_mocap.scene.armature import rest_matrices
    from lift_mocap.scene.body import add_body_mesh

    joints = gt_result.motion.joints.astype(np.float64)
    arm = apply_result(bpy.context, gt_result)["armature"]
    rest = lift_rest_skeleton(joints)
    rest.matrices = rest_matrices(arm)
    model = load_body()
    body = add_body_mesh(bpy.context.scene.collection, arm, rest, model)
    assert body.parent == arm
    for i in (0, 45, 89):
        got = model.regress(evaluated_vertices(body, 1 + i))
        assert np.linalg.norm(got - joints[i], axis=-1).mean() < 0.015, i


def test_smpl_body_from_a_synthetic_pkl(empty_scene, walk, tmp_path):
    from lift_mocap.lifting.bodies import load_body
    from lift_mocap.scene.body import build_body, load_body_model

    _, pkl, _ = write_smpl_files(load_body(), tmp_path)
    model = load_body_model("SMPL", str(pkl))
    created = build_body(bpy.context, model, walk, np.arange(1.0, len(walk) + 1))
    got = model.regress(evaluated_vertices(created["mesh"], 30))
    assert np.linalg.norm(got - walk[29], axis=-1).mean() < 0.015


def test_bad_body_choices_are_reported(empty_scene, tmp_path):
    import pickle

    from lift_mocap.lifting.errors import FileFormatError, UnsafePickleError
    from lift_mocap.scene.body import load_body_model

    assert load_body_model("NONE") is None
    with pytest.raises(FileFormatError, match="no SMPL file"):
        load_body_model("SMPL", "")
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"f": print}, protocol=2))
    before = len(bpy.data.objects)
    with pytest.raises(UnsafePickleError):
        load_body_model("SMPL", str(evil))
    assert len(bpy.data.objects) == before


def test_apply_result_adds_the_chosen_body(empty_scene, gt_result, tmp_path):
    from lift_mocap.lifting.errors import UnsafePickleError
    from lift_mocap.scene.apply import ApplySettings, apply_result

    created = apply_result(bpy.context, gt_result, ApplySettings(body="DEFAULT", camera=False))
    body, arm = created["body"], created["armature"]
    assert body.parent == arm and body.modifiers[0].object == arm
    assert body.name.startswith("Lift Body")
    assert apply_result(bpy.context, gt_result, ApplySettings(camera=False))["body"] is None
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b"cos\nsystem\n(S'true'\ntR.")
    before = len(bpy.data.objects)
    with pytest.raises(UnsafePickleError):
        apply_result(bpy.context, gt_result, ApplySettings(body="SMPL", body_path=str(evil)))
    assert len(bpy.data.objects) == before  # refused before anything was made


def test_sidebar_choice_reaches_apply_settings(registered):
    from lift_mocap.operators.video import apply_settings

    props = bpy.context.scene.lift
    assert props.body_mesh == "NONE"
    props.body_mesh, props.smpl_path = "SMPL", "//smpl/model.pkl"
    settings = apply_settings(props)
    assert settings.body == "SMPL" and settings.body_path == "//smpl/model.pkl"
    props.body_mesh = "MESHNET"
    assert apply_settings(props).body == "MESHNET"


def test_mesh_animation_by_shape_keys(empty_scene):
    from lift_mocap.lifting.bodies import load_body
    from lift_mocap.lifting.bodies.fit import pose_own
    from lift_mocap.scene.body import add_mesh_animation

    with np.load(DATA / "sample" / "walk.npz") as data:
        poses = data["joints_world"][:6].astype(np.float64)
    model = load_body()
    verts, _ = pose_own(model, poses)
    obj = add_mesh_animation(bpy.context.scene.collection, verts, model.faces, np.arange(10, 16))
    assert len(obj.data.shape_keys.key_blocks) == 1 + len(verts)
    for t in (0, 3, 5):
        assert np.abs(evaluated_vertices(obj, 10 + t) - verts[t]).max() < 1e-4, t
    bpy.context.scene.frame_set(12, subframe=0.5)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    co = np.empty(3 * len(mesh.vertices), dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    evaluated.to_mesh_clear()
    halfway = 0.5 * (verts[2] + verts[3])
    assert np.abs(co.reshape(-1, 3) - halfway).max() < 1e-4


def test_meshnet_body_for_a_pipeline_result(empty_scene, gt_result, tmp_path):
    """The whole mesh-net path on a real result (an untrained small net: placement and
    animation are what is checked, not the net's accuracy)."""
    from types import SimpleNamespace

    from lift_mocap.lifting.bodies import load_body
    from lift_mocap.lifting.train.meshnet_train import MeshNetConfig, MeshNetSetup, save_weights
    from lift_mocap.scene.body import add_meshnet_body

    config = MeshNetConfig(out_level=6, top_level=7, channels=(16, 16))
    setup = MeshNetSetup(load_body(), config)
    save_weights(setup.build(), config, tmp_path / "net.npz", {"summary": "test"})
    joints = gt_result.motion.joints[:12].astype(np.float64)
    result = SimpleNamespace(
        track=SimpleNamespace(
            lift2d=gt_result.track.lift2d[:12],
            width=gt_result.track.width,
            height=gt_result.track.height,
        ),
        pose=SimpleNamespace(joints3d=joints - joints[:, :1]),
        motion=SimpleNamespace(joints=joints),
    )
    obj = add_meshnet_body(bpy.context, result, np.arange(1, 13), weights=tmp_path / "net.npz")
    assert len(obj.data.vertices) == len(setup.levels[6].vertices)
    got = evaluated_vertices(obj, 5)
    centre = np.einsum("jn,nc->jc", setup.body.regressor, got).mean(axis=0)
    assert np.linalg.norm(centre - joints[4].mean(axis=0)) < 1e-3  # placed on the motion


@pytest.fixture(scope="module")
def sample_result():
    """The whole pipeline (MediaPipe, the committed lifter, the world stage) on the sample clip."""
    from lifting.models import registry
    from lifting.pipeline import PipelineSettings, run_pipeline

    videos = sorted((DATA / "sample").glob("*.mp4"))
    if not videos or not registry.available():
        pytest.fail("the sample clip or the lifter weights are missing")
    return run_pipeline(PipelineSettings(video=str(videos[0])))


@pytest.mark.slow
def test_meshnet_body_on_the_sample_clip(empty_scene, sample_result):
    """Body mesh "MESHNET" through apply_result with the bundled mesh net (NumPy forward):
    one shape key per frame, and the joints regressed off the evaluated mesh follow the
    lifted world joints the armature follows."""
    from lift_mocap.lifting.bodies.meshnet_infer import load_meshnet
    from lift_mocap.lifting.retarget.lift_rig import fill_missing
    from lift_mocap.scene.apply import ApplySettings, apply_result
    from lift_mocap.scene.body import load_body_model

    assert type(load_body_model("MESHNET")).__name__ == "LoadedMeshNet"
    settings = ApplySettings(body="MESHNET", camera=False)
    created = apply_result(bpy.context, sample_result, settings)
    body, arm = created["body"], created["armature"]
    frames = len(sample_result.motion.joints)
    net = load_meshnet()
    assert body.parent == arm and len(body.data.vertices) == len(net.regressor[0])
    blocks = body.data.shape_keys.key_blocks
    assert len(blocks) == 1 + frames
    curves = body.data.shape_keys.animation_data.action
    assert curves is not None
    joints = fill_missing(np.asarray(sample_result.motion.joints, dtype=np.float64))
    errors = []
    for i in np.linspace(0, frames - 1, 7).round().astype(int):
        got = net.regressor @ evaluated_vertices(body, 1 + i)
        errors.append(np.linalg.norm(got - joints[i], axis=-1).mean())
        assert blocks[1 + i].value == pytest.approx(1.0), i  # frame i shows its own key
    assert np.mean(errors) < 0.05, errors  # metres (3.1 cm with the weights of 2026-11-22)
    assert np.max(errors) < 0.08, errors


def test_batch_body_choices_are_the_sidebar_ones(registered):
    """batch.py --body offers every sidebar body (lower case) and maps it to the same kind."""
    import argparse

    from lift_mocap.scene import batch
    from lift_mocap.scene.body import BODY_KINDS

    parser = argparse.ArgumentParser()
    batch.add_arguments(parser)
    for kind in BODY_KINDS:
        args = parser.parse_args(["in", "--out", "out", "--body", kind.lower()])
        assert batch.apply_settings(args).body == kind
    items = bpy.context.scene.lift.bl_rna.properties["body_mesh"].enum_items
    assert [item.identifier for item in items] == list(BODY_KINDS)
