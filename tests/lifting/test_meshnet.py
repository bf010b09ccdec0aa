"""The mesh net (Pose2Mesh-style): mesh hierarchy, Chebyshev convolution, shapes, gradients,
pooled skinning for its training data, losses, and a few steps that learn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from conftest import DATA

from lifting.bodies import load_body, skin
from lifting.bodies.fit import fit_body
from lifting.models.mesh_graph import (
    coarsen,
    pooling,
    scaled_laplacian,
    skeleton_edges,
    upsample_index,
)
from lifting.models.meshnet import ChebConv, MeshNet, sparse_laplacian
from lifting.retarget.solve import forward_kinematics
from lifting.train.meshnet_data import PooledBody, make_mesh_batch, mesh_losses


@pytest.fixture(scope="module")
def body():
    return load_body()


@pytest.fixture(scope="module")
def levels(body):
    return coarsen(body.vertices, body.faces, 7)


@pytest.fixture(scope="module")
def walk():
    with np.load(DATA / "sample" / "walk.npz") as data:
        return data["joints_world"].astype(np.float64)


def test_hierarchy_roughly_halves_and_maps_every_vertex(levels):
    for fine, coarse in itertools.pairwise(levels):
        n = len(coarse.vertices)
        assert 0.45 * len(fine.vertices) < n < 0.6 * len(fine.vertices)
        assert np.array_equal(np.unique(coarse.parent), np.arange(n))
        assert coarse.edges.max() < n and len(coarse.faces) > 0
        # a cluster is a vertex and (at most) one neighbour: its mean is close to both
        gap = np.linalg.norm(fine.vertices - coarse.vertices[coarse.parent], axis=1)
        assert np.median(gap) < 0.05
    up = upsample_index(levels, 6, 3)
    assert np.array_equal(up[pooling(levels, 3)], pooling(levels, 6))
    assert len(skeleton_edges()) == 20 + 8


def test_cheb_conv_matches_the_dense_recurrence():
    rng = np.random.default_rng(0)
    edges = np.array([[0, 1], [1, 2], [2, 3], [0, 3], [1, 3]])
    idx, val = scaled_laplacian(4, edges)
    dense = np.zeros((4, 4))
    dense[idx[0], idx[1]] = val
    assert np.allclose(dense, dense.T) and np.abs(np.linalg.eigvalsh(dense)).max() <= 1 + 1e-6
    conv = ChebConv(2, 3)
    x = torch.from_numpy(rng.normal(size=(4, 5, 2)).astype(np.float32))  # N, B, C
    got = conv(x, sparse_laplacian(4, edges)).detach().numpy()
    w = conv.weight.detach().numpy()
    xn = x.numpy()
    t1 = np.einsum("nm,mbc->nbc", dense, xn)
    t2 = 2 * np.einsum("nm,mbc->nbc", dense, t1) - xn
    want = xn @ w[0] + t1 @ w[1] + t2 @ w[2] + conv.bias.detach().numpy()
    assert np.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("upsampling", ["coarse_to_fine", "direct"])
def test_meshnet_shapes_and_gradients(levels, upsampling):
    torch.manual_seed(0)
    net = MeshNet(levels, 4, 7, channels=(16, 16, 16, 16), upsampling=upsampling)
    x = torch.randn(3, 21, 6)
    out = net(x)
    assert out.shape == (3, len(levels[4].vertices), 3)
    out.square().mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    if upsampling == "direct":
        assert set(net.block_levels) == {4}
    else:
        assert net.block_levels == [7, 6, 5, 4]
    with pytest.raises(ValueError):
        MeshNet(levels, 4, 7, channels=(16, 16), upsampling=upsampling)


def test_pooled_skinning_is_the_pooled_full_skinning(body, levels, walk):
    pooled = PooledBody(body, levels, 4)
    cluster = pooling(levels, 4)
    counts = np.bincount(cluster)
    verts, joints = pooled.pose(walk[::30])
    rest = body.rest_skeleton()
    from lifting.retarget.solve import solve

    solved = solve(walk[::30], rest)
    heads, _, orient = forward_kinematics(rest, solved.rotations)
    full = skin(body, rest, heads, orient)
    want = np.zeros_like(verts)
    for t in range(len(full)):
        np.add.at(want[t], cluster, full[t])
    want /= counts[None, :, None]
    assert np.abs(verts - want).max() < 1e-6
    err = np.linalg.norm(np.einsum("jn,tnc->tjc", pooled.regressor, verts) - joints, axis=-1)
    assert err.mean() < 0.015
    assert np.isfinite(fit_body(body, walk[:5]).joints).all()


def test_batches_and_losses(body, levels, walk):
    pooled = PooledBody(body, levels, 4)
    batch = make_mesh_batch(pooled, walk[::20], np.random.default_rng(0))
    b = len(walk[::20])
    assert batch["inputs"].shape == (b, 21, 6) and batch["joints"].shape == (b, 21, 3)
    assert batch["vertices"].shape == (b, len(levels[4].vertices), 3)
    reg = torch.from_numpy(pooled.regressor.astype(np.float32))
    faces = torch.from_numpy(levels[4].faces)
    edges = torch.from_numpy(levels[4].edges)
    # camera frame, root-relative: the mesh's regressed joints sit on the target joints
    same = mesh_losses(batch["vertices"], batch, faces, edges, reg)
    assert same["vertex"] == 0 and same["edge"] == 0 and same["normal"] < 1e-5
    assert same["joint"] < 0.01
    noisy = batch["vertices"] + 0.02 * torch.randn_like(batch["vertices"])
    worse = mesh_losses(noisy, batch, faces, edges, reg)
    assert all(worse[k] > same[k] for k in ("vertex", "edge", "normal"))


@pytest.mark.slow
def test_a_few_steps_learn_a_fixed_batch(body, levels, walk):
    torch.manual_seed(0)
    pooled = PooledBody(body, levels, 6)
    batch = make_mesh_batch(pooled, walk[::15], np.random.default_rng(1))
    net = MeshNet(levels, 6, 7, channels=(16, 16))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    faces, edges = torch.from_numpy(levels[6].faces), torch.from_numpy(levels[6].edges)
    reg = torch.from_numpy(pooled.regressor.astype(np.float32))
    first = None
    for _ in range(40):
        loss = mesh_losses(net(batch["inputs"]), batch, faces, edges, reg)["vertex"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.5 * first


def test_train_evaluate_and_weights_round_trip(body, walk, tmp_path):
    from types import SimpleNamespace

    from lifting.train.meshnet_train import (
        MeshNetConfig,
        MeshNetSetup,
        evaluate,
        fit_baseline,
        load_weights,
        save_weights,
        train,
        validation_set,
    )

    config = MeshNetConfig(out_level=6, top_level=7, channels=(16, 16), steps=3, batch=4)
    setup = MeshNetSetup(body, config)
    clips = [SimpleNamespace(joints=walk)]
    net, history = train(setup, clips, progress=lambda _msg: None)
    assert len(history) == 3 and set(history[0]) == {"vertex", "normal", "edge", "joint"}
    assert train(setup, clips, progress=lambda _msg: None, max_seconds=0.0)[1] == []
    val = validation_set(setup, clips, frames=8)
    scores = evaluate(net, setup, val)
    assert np.isfinite(list(scores.values())).all()
    baseline = fit_baseline(setup, val)
    assert 10 < baseline["mpjpe_mm"] < 150  # the 3D inputs carry ~5 cm of noise
    save_weights(net, config, tmp_path / "m.npz", {"summary": "test"})
    again = load_weights(setup, tmp_path / "m.npz")
    with torch.no_grad():
        assert torch.allclose(net(val["inputs"]), again(val["inputs"]), atol=1e-6)
    assert (tmp_path / "m.json").is_file()


def test_meshes_are_placed_on_the_world_motion(body, levels, walk, tmp_path):
    from lifting.bodies.meshnet_infer import load_meshnet, place_in_world, predict_vertices
    from lifting.errors import ModelNotFoundError
    from lifting.retarget.rotations import axis_angle_matrix

    pooled = PooledBody(body, levels, 5)
    verts, joints = pooled.pose(walk[:8])
    turn = axis_angle_matrix(np.array([1.0, 0.2, -0.3]), np.array(2.0))
    cam = (verts - joints[:, :1]) @ turn.T  # as a camera would see them, root-relative
    world = np.einsum("jn,tnc->tjc", pooled.regressor, verts)  # the mesh's own joints
    assert np.abs(place_in_world(cam, pooled.regressor, world) - verts).max() < 1e-6
    near = place_in_world(cam, pooled.regressor, joints)  # the skeleton's: within mm
    assert np.linalg.norm(near - verts, axis=-1).mean() < 0.01
    small = 0.9 * world + np.array([1.0, 2.0, 0.0])  # a smaller subject elsewhere
    placed = place_in_world(cam, pooled.regressor, small)
    assert np.abs(placed - (0.9 * verts + np.array([1.0, 2.0, 0.0]))).max() < 1e-6
    rigid = place_in_world(cam, pooled.regressor, small, scale=False)
    assert np.linalg.norm(rigid[:, 0] - rigid[:, 1], axis=-1) == pytest.approx(
        np.linalg.norm(verts[:, 0] - verts[:, 1], axis=-1)
    )
    net = MeshNet(levels, 5, 7, channels=(16, 16, 16)).eval()
    lift2d = np.concatenate([walk[:8, :, :2] * 300 + 500, np.ones((8, 21, 1))], axis=-1)
    lift2d[3, 4] = np.nan  # a missing joint: confidence 0 at (0, 0), as in training
    with torch.no_grad():
        out = predict_vertices(
            lambda x: net(torch.from_numpy(x)).numpy(), lift2d, walk[:8] - walk[:8, :1], 1280, 720
        )
    assert out.shape == (8, len(levels[5].vertices), 3) and np.isfinite(out).all()
    with pytest.raises(ModelNotFoundError, match=r"bench/meshnet\.py"):
        load_meshnet(tmp_path / "none.npz")


def bundled_torch_net():
    """The bundled weights in the torch model (training code), with their setup."""
    import json

    from lifting.bodies.meshnet_infer import WEIGHTS
    from lifting.train.meshnet_train import MeshNetConfig, MeshNetSetup, load_weights

    config = MeshNetConfig(**json.loads(WEIGHTS.with_suffix(".json").read_text())["config"])
    setup = MeshNetSetup(load_body(), config)
    return load_weights(setup, WEIGHTS).eval(), setup


def test_bundled_weights_beat_fitting_the_body_to_the_3d_input(mocap_dir):
    """The shipped mesh net (lifting/bodies/meshnet.npz) on held-out validation poses."""
    from lifting.bodies.meshnet_infer import WEIGHTS
    from lifting.mocap.dataset import load_split
    from lifting.train.meshnet_train import evaluate, fit_baseline, validation_set

    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 2e6
    net, setup = bundled_torch_net()
    val = validation_set(setup, load_split("val", mocap_dir=mocap_dir), frames=200, seed=7)
    scores, reference = evaluate(net, setup, val), fit_baseline(setup, val)
    assert scores["mpve_mm"] < 0.85 * reference["mpve_mm"]
    assert scores["mpjpe_mm"] < reference["mpjpe_mm"]


def test_numpy_mesh_net_gives_the_torch_vertices(mocap_dir, levels):
    """The shipped, torch-free forward pass (meshnet_numpy) against the torch model: the
    bundled weights on validation inputs, and a random "direct"-upsampling net."""
    from lifting.bodies.meshnet_infer import load_meshnet
    from lifting.bodies.meshnet_numpy import MeshNetNumpy
    from lifting.mocap.dataset import load_split
    from lifting.train.meshnet_train import validation_set

    net, setup = bundled_torch_net()
    loaded = load_meshnet()
    val = validation_set(setup, load_split("val", mocap_dir=mocap_dir), frames=100, seed=11)
    with torch.no_grad():
        want = net(val["inputs"]).numpy()
    got = loaded.net(val["inputs"].numpy())
    assert np.abs(got - want).max() <= 1e-4  # metres
    assert np.abs(got).max() > 0.3  # real meshes, not zeros
    assert np.array_equal(loaded.faces, setup.levels[setup.config.out_level].faces)
    assert np.allclose(loaded.regressor, setup.body.regressor)
    torch.manual_seed(1)
    direct = MeshNet(levels, 5, 7, channels=(8, 8, 8), upsampling="direct").eval()
    params = {k: v.detach().numpy() for k, v in direct.named_parameters()}
    config = {"out_level": 5, "top_level": 7, "upsampling": "direct"}
    x = val["inputs"][:16]
    with torch.no_grad():
        want = direct(x).numpy()
    assert np.abs(MeshNetNumpy(levels, config, params)(x.numpy()) - want).max() <= 1e-4


def test_mesh_net_inference_never_imports_torch(tmp_path):
    """What the shipped extension runs (no torch in the zip): load, predict, place."""
    import subprocess
    import sys

    from conftest import ROOT

    code = (
        "import sys, numpy as np\n"
        "from lifting.bodies.meshnet_infer import load_meshnet, place_in_world, predict_vertices\n"
        "d = np.load('tests/data/sample/walk.npz')\n"
        "xy, j = d['joints_2d'][:20], d['joints_camera'][:20]\n"
        "lift2d = np.concatenate([xy, np.ones((20, 21, 1))], axis=-1)\n"
        "net = load_meshnet()\n"
        "v = predict_vertices(net.net, lift2d, j - j[:, :1], d['width'], d['height'])\n"
        "w = place_in_world(v, net.regressor, d['joints_world'][:20])\n"
        "err = np.linalg.norm(np.einsum('jn,tnc->tjc', net.regressor, w)"
        " - d['joints_world'][:20], axis=-1).mean()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print(err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert float(out.stdout) < 0.05  # the sample clip's true 2D/3D: joints within 5 cm (3.4)


@pytest.mark.slow
def test_samples_with_the_lifters_output(body, levels, walk):
    """lifted_samples: the sample walk through the lifter validation protocol and the real
    default lifter; the target mesh sits on the target joints in the camera frame."""
    from types import SimpleNamespace

    from lifting.retarget.rotations import axis_angle_matrix
    from lifting.train.meshnet_lifted import lifted_samples, window_rotation

    turn = axis_angle_matrix(np.array([0.3, 1.0, 0.2]), np.array(1.3))
    moved = walk @ turn.T + 0.5
    assert np.allclose(window_rotation(walk, (moved - moved[:, :1])), turn, atol=1e-9)
    pooled = PooledBody(body, levels, 4)
    out = lifted_samples(pooled, [SimpleNamespace(joints=walk)], stride=5, window=60)
    lifted, noisy = out["lifted"], out["gt_noise"]
    n = out["frames"]
    assert n == len(range(0, len(walk), 5)) and lifted["vertices"].shape == (n, 1111, 3)
    assert torch.equal(lifted["inputs"][..., :3], noisy["inputs"][..., :3])  # same 2D
    err = (noisy["inputs"][..., 3:] - noisy["joints"]).norm(dim=-1).mean()
    assert 0.03 < err < 0.08  # truth + 3 cm per coordinate
    regressed = torch.einsum(
        "jn,bnc->bjc", torch.from_numpy(pooled.regressor), lifted["vertices"].double()
    )
    assert (regressed - lifted["joints"]).norm(dim=-1).mean() < 0.015
    assert 20 < out["lifter_mpjpe_mm"] < 250  # a real lifter on a body it never saw
