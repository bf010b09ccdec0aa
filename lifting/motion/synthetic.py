"""Known-camera scenes for testing and benchmarking the world stage on mocap.

A mocap clip (world joints (T, J, 3) m, Z up, floor Z = 0) is filmed by a static pinhole camera
placed at random around it; its 2D keypoints get the training set's MediaPipe-shaped noise
(:mod:`lifting.train.synth`); a lifter's output is
imitated by the true camera-frame pose plus errors shaped like a temporal lifter's (a slowly
varying offset per joint, a little per-frame jitter, larger along depth, and a per-clip scale
error), and the trajectory model's root by the true root plus a depth error. Used by tests
and ``bench/motion.py``; nothing here is tuned to any clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import frames
from .dsp import gaussian_filter1d
from .trajectory import project


@dataclass
class StaticCamera:
    """Pinhole camera: ``world = rotation @ p_cam + location`` (OpenCV camera frame)."""

    focal: float
    width: int
    height: int
    rotation: np.ndarray  # (3, 3) camera-to-world
    location: np.ndarray  # (3,) m

    @property
    def tilt_deg(self) -> float:
        up_cam = self.rotation.T @ np.array([0.0, 0.0, 1.0])
        return frames.tilt_roll_from_up(frames.camera_to_blender(up_cam))[0]

    def to_camera(self, world: np.ndarray) -> np.ndarray:
        return frames.to_camera(world, self.rotation, self.location)

    def project(self, world: np.ndarray) -> np.ndarray:
        """World points (..., 3) → pixels (..., 2)."""
        return project(self.to_camera(world), self.focal, (self.width / 2, self.height / 2))

    def canonical(self, world: np.ndarray) -> np.ndarray:
        """World points in Lift's output convention for this camera: camera above the origin,
        looking along +Y (yaw removed), floor Z = 0."""
        fwd = self.rotation[:, 2].copy()
        yaw = np.arctan2(fwd[0], fwd[1])
        c, s = np.cos(yaw), np.sin(yaw)
        rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        shifted = np.asarray(world) - np.array([*self.location[:2], 0.0])
        return shifted @ rz.T


def look_at(location: np.ndarray, target: np.ndarray, roll_deg: float = 0.0) -> np.ndarray:
    """Camera-to-world rotation (3, 3) of a camera at ``location`` looking at ``target``."""
    fwd = target - location
    fwd = fwd / np.linalg.norm(fwd)
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    r = np.radians(roll_deg)
    right, down = np.cos(r) * right + np.sin(r) * down, -np.sin(r) * right + np.cos(r) * down
    return np.stack([right, down, fwd], axis=1)


def random_camera(
    world: np.ndarray, rng: np.random.Generator, width: int = 960, height: int = 540
) -> StaticCamera:
    """A camera 1–2 m high, focal 650–1000 px, at a random azimuth, far enough that the whole
    motion stays inside the frame (with a 5 % margin)."""
    focal = rng.uniform(650, 1000)
    cam_h = rng.uniform(1.0, 2.0)
    azim = rng.uniform(0, 2 * np.pi)
    centre = world.reshape(-1, 3).mean(axis=0)
    target = np.array([centre[0], centre[1], rng.uniform(0.8, 1.1)])
    dist = rng.uniform(3.0, 5.0)
    for _ in range(40):
        loc = target + dist * np.array([np.cos(azim), np.sin(azim), 0.0])
        loc[2] = cam_h
        cam = StaticCamera(focal, width, height, look_at(loc, target, rng.normal(0, 1.5)), loc)
        uv = cam.project(world)
        depth = cam.to_camera(world)[..., 2]
        inside = (uv > [0.05 * width, 0.05 * height]) & (uv < [0.95 * width, 0.95 * height])
        if depth.min() > 0.5 and inside.all():
            return cam
        dist *= 1.15
    return cam


def render_keypoints(world: np.ndarray, cam: StaticCamera, rng: np.random.Generator) -> np.ndarray:
    """2D keypoints (T, J, 3) px + confidence as MediaPipe would give them, with the training
    noise model (:func:`lifting.train.synth.add_noise`: correlated jitter scaled to the body's
    size, occlusion, outlier bursts, dropped joints and frames, rare left/right limb swaps)."""
    from ..train.synth import NoiseConfig, add_noise

    cam_joints = cam.to_camera(world)
    uv = cam.project(world)
    size = np.array([[cam.width, cam.height]], dtype=np.float64)
    noisy, conf = add_noise(uv[None], cam_joints[None, ..., 2], size, rng, NoiseConfig())
    return np.concatenate([noisy[0], conf[0][..., None]], axis=-1)


def _slow_noise(rng: np.random.Generator, shape: tuple, sigma: float, std: float) -> np.ndarray:
    """Gaussian noise (shape) low-passed along axis 0 with a ``sigma``-frame Gaussian, scaled to
    ``std``; made longer and cropped so the ends are as random as the middle."""
    pad = int(4 * sigma) + 1
    n = rng.normal(0, 1, (shape[0] + 2 * pad, *shape[1:]))
    n = gaussian_filter1d(n, sigma)[pad:-pad]
    return n * std / np.sqrt(1.0 / (2.0 * np.sqrt(np.pi) * sigma))


def lifter_like(
    rel_cam: np.ndarray, root_cam: np.ndarray, fps: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Imitated lifter output from the true camera-frame root-relative pose (T, J, 3) and root
    (T, 3): per-joint errors low-passed over ~0.3 s with 20 mm std, 5 mm white jitter, both
    ×1.5 along depth (z), a per-clip scale error of 3 % std; the root gets a 5 % slow depth
    error plus 0.5 cm / 1.5 cm (x-y / depth) white noise. Returns (joints3d, root)."""
    t, j = rel_cam.shape[:2]
    axis = np.array([1.0, 1.0, 1.5])
    slow = _slow_noise(rng, (t, j, 3), 0.3 * fps, 0.02)
    white = rng.normal(0, 0.005, (t, j, 3))
    pose = rel_cam * rng.normal(1.0, 0.03) + (slow + white) * axis
    pose -= pose[:, :1]
    depth_err = _slow_noise(rng, (t,), 0.5 * fps, 0.05)
    root = root_cam * (1.0 + depth_err[:, None]) + rng.normal(0, 1, (t, 3)) * [0.005, 0.005, 0.015]
    return pose.astype(np.float32), root.astype(np.float32)


def make_scene(world: np.ndarray, fps: float, rng: np.random.Generator, **camera_kw):
    """Everything the world stage needs for one clip: ``(pose, track, cam)``, a
    :class:`lifting.inference.Pose3D` (imitated lifter output), a
    :class:`lifting.keypoints.track.Track2D` (its BlazePose arrays are NaN: only ``lift2d`` is
    simulated) and the :class:`StaticCamera`."""
    from ..inference import Pose3D
    from ..keypoints.track import Track2D

    cam = random_camera(world, rng, **camera_kw)
    cam_joints = cam.to_camera(world)
    joints3d, root = lifter_like(cam_joints - cam_joints[:, :1], cam_joints[:, 0], fps, rng)
    kp = render_keypoints(world, cam, rng)
    t = len(world)
    pose = Pose3D(joints3d=joints3d, root=root, model="synthetic (lifter_like)", fps=fps)
    track = Track2D(
        keypoints=np.full((t, 33, 3), np.nan, np.float32),
        presence=np.full((t, 33), np.nan, np.float32),
        world=np.full((t, 33, 3), np.nan, np.float32),
        lift2d=kp.astype(np.float32),
        detected=kp[..., 2].max(axis=1) > 0,
        timestamps=np.arange(t) / fps,
        frame_indices=np.arange(t),
        fps=fps,
        width=cam.width,
        height=cam.height,
        source="synthetic",
    )
    return pose, track, cam


def true_contacts(world: np.ndarray, fps: float) -> np.ndarray:
    """Ground-truth contacts (T, 4) of the contact joints (l_ankle, l_toe, r_ankle, r_toe) of
    clean mocap: within 4 cm of the joint's lowest 5 % height and slower than 0.2 m/s."""
    from .contacts import CONTACT_JOINTS, joint_speeds

    p = np.asarray(world, dtype=np.float64)[:, list(CONTACT_JOINTS)]
    height = p[..., 2] - np.percentile(p[..., 2], 5, axis=0)
    return (height < 0.04) & (joint_speeds(p, fps) < 0.2)
