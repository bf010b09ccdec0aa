"""Pinhole cameras: screen normalisation, projection, world → camera, random virtual cameras.

Camera frame: x right, y down, z forward (metres). World frame: Z up (metres). A camera is
``R`` (3,3) world→camera rotation and ``t`` (3,) so that ``p_cam = R @ p_world + t``; its
centre in the world is ``-R.T @ t``.

Screen normalisation as in VideoPose3D: ``x / w * 2 - [1, h / w]`` (x in [-1, 1], y scaled by
the same factor, so the aspect ratio is kept).
"""

from __future__ import annotations

import numpy as np

WIDTH = 960  # long side of the virtual frames, px
# (width, height, probability): landscape 16:9, landscape 4:3, portrait 9:16
FRAME_SIZES = ((960, 540, 0.5), (960, 720, 0.2), (540, 960, 0.3))


def _per_point(value, like: np.ndarray) -> np.ndarray:
    """Broadcast a scalar or leading-dims array (B,) / (B,T) onto ``like[..., 0]``."""
    v = np.asarray(value, dtype=np.float64)
    return v.reshape(v.shape + (1,) * (like.ndim - 1 - v.ndim))


def normalize_screen(xy_px: np.ndarray, width, height) -> np.ndarray:
    """Pixels (..., 2) → normalised screen (..., 2). ``width``/``height``: scalars or (B,...)."""
    xy = np.asarray(xy_px)
    w, h = _per_point(width, xy), _per_point(height, xy)
    out = np.empty(xy.shape, dtype=np.result_type(xy.dtype, np.float32))
    out[..., 0] = xy[..., 0] / w * 2 - 1
    out[..., 1] = xy[..., 1] / w * 2 - h / w
    return out


def unnormalize_screen(xy: np.ndarray, width, height) -> np.ndarray:
    """Normalised screen (..., 2) → pixels (..., 2); inverse of :func:`normalize_screen`."""
    xy = np.asarray(xy)
    w, h = _per_point(width, xy), _per_point(height, xy)
    out = np.empty(xy.shape, dtype=np.result_type(xy.dtype, np.float32))
    out[..., 0] = (xy[..., 0] + 1) * w / 2
    out[..., 1] = (xy[..., 1] + h / w) * w / 2
    return out


def project(points_cam: np.ndarray, focal, center, min_depth: float = 1e-3) -> np.ndarray:
    """Perspective projection of camera-frame points (..., 3) m → pixels (..., 2).

    ``focal`` px: scalar or leading-dims array (B,); ``center`` (2,) or (B, 2) px principal
    point. Depths below ``min_depth`` are clamped (points behind the camera stay finite).
    """
    p = np.asarray(points_cam)
    f = _per_point(focal, p)
    c = np.asarray(center, dtype=np.float64)
    c = c.reshape(c.shape[:-1] + (1,) * (p.ndim - c.ndim) + (2,))
    z = np.maximum(p[..., 2], min_depth)
    out = np.empty((*p.shape[:-1], 2), dtype=np.result_type(p.dtype, np.float32))
    out[..., 0] = f * p[..., 0] / z + c[..., 0]
    out[..., 1] = f * p[..., 1] / z + c[..., 1]
    return out


def world_to_camera(
    points_world: np.ndarray, rotation: np.ndarray, translation: np.ndarray
) -> np.ndarray:
    """World points (..., 3) → camera frame: ``R @ p + t`` (``R = rotation``, ``t = translation``).

    ``R`` (3,3) or (B,3,3); ``t`` (3,), (B,3) or (B,T,3) (a moving camera); with batched
    cameras the points are (B, ..., 3).
    """
    p = np.asarray(points_world)
    R = np.asarray(rotation)
    t = np.asarray(translation)
    if R.ndim == 2:
        return p @ R.T + t.reshape(t.shape[:-1] + (1,) * (p.ndim - t.ndim) + (3,))
    rotated = np.einsum("bij,b...j->b...i", R, p)
    return rotated + t.reshape(t.shape[:-1] + (1,) * (p.ndim - t.ndim) + (3,))


def camera_to_world(
    points_cam: np.ndarray, rotation: np.ndarray, translation: np.ndarray
) -> np.ndarray:
    """Inverse of :func:`world_to_camera` (same shape rules)."""
    p = np.asarray(points_cam)
    R = np.asarray(rotation)
    t = np.asarray(translation)
    shifted = p - t.reshape(t.shape[:-1] + (1,) * (p.ndim - t.ndim) + (3,))
    if R.ndim == 2:
        return shifted @ R
    return np.einsum("bji,b...j->b...i", R, shifted)


def look_at(eye: np.ndarray, target: np.ndarray, roll: np.ndarray | float = 0.0) -> np.ndarray:
    """World→camera rotations (B,3,3) for cameras at ``eye`` (B,3) looking at ``target`` (B,3).

    World Z is up; the camera's x is horizontal before ``roll`` (radians, about the optical
    axis, positive turns the image clockwise).
    """
    eye = np.atleast_2d(eye).astype(np.float64)
    target = np.atleast_2d(target).astype(np.float64)
    z = target - eye
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    R = np.stack([x, y, z], axis=-2)
    roll = np.broadcast_to(np.asarray(roll, dtype=np.float64), (len(eye),))
    c, s = np.cos(roll), np.sin(roll)
    rz = np.zeros((len(eye), 3, 3))
    rz[:, 0, 0], rz[:, 0, 1], rz[:, 1, 0], rz[:, 1, 1], rz[:, 2, 2] = c, -s, s, c, 1.0
    return rz @ R


def sample_intrinsics(n: int, rng: np.random.Generator):
    """Random frame sizes and lenses: ``size`` (n,2) w,h px, ``focal`` (n,) px, ``center``.

    Focal 500–1400 px for a 960-px long side (log-uniform, so wide lenses are common), the
    principal point within ~1 % of the frame centre.
    """
    probs = np.array([p for *_, p in FRAME_SIZES])
    choice = rng.choice(len(FRAME_SIZES), size=n, p=probs / probs.sum())
    size = np.array([FRAME_SIZES[k][:2] for k in choice], dtype=np.float64)
    focal = np.exp(rng.uniform(np.log(500.0), np.log(1400.0), n))
    center = size / 2 + rng.normal(0.0, 0.01 * WIDTH, (n, 2))
    return size, focal, center


def sample_extrinsics(
    n: int,
    rng: np.random.Generator,
    subject: np.ndarray,
    *,
    distance=(2.0, 8.0),
    height=(0.3, 2.5),
    roll_deg: float = 5.0,
    aim_jitter: float = 0.15,
):
    """Cameras looking at the subject from all round: ``R`` (n,3,3), ``eye`` (n,3) world.

    ``subject`` (n,3) world point (e.g. the pelvis). ``distance`` (m, eye to subject, either a
    pair or per-camera (n,2) bounds; drawn as low + (high - low) * u**1.5, favouring
    close-ups), camera ``height`` above the floor (m); the aim point is jittered by
    ``aim_jitter`` m so the subject is not always centred; tilt follows from the look-at; roll
    is uniform in ±``roll_deg``.
    """
    bounds = np.broadcast_to(np.asarray(distance, dtype=np.float64), (n, 2))
    # more close-ups than far shots: people are usually filmed filling much of the frame
    dist = bounds[:, 0] + (bounds[:, 1] - bounds[:, 0]) * rng.random(n) ** 1.5
    cam_z = rng.uniform(height[0], height[1], n)
    target = subject + rng.normal(0.0, aim_jitter, (n, 3))
    dz = cam_z - target[:, 2]
    horizontal = np.sqrt(np.maximum(dist**2 - dz**2, 0.25))
    azimuth = rng.uniform(0.0, 2 * np.pi, n)
    eye = np.stack(
        [
            target[:, 0] + horizontal * np.cos(azimuth),
            target[:, 1] + horizontal * np.sin(azimuth),
            cam_z,
        ],
        axis=-1,
    )
    roll = np.deg2rad(rng.uniform(-roll_deg, roll_deg, n))
    return look_at(eye, target, roll), eye


def in_frame_fraction(px: np.ndarray, size: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Fraction (B,) of points (B,...,2) inside the frame ``size`` (B,2) and in front."""
    w = _per_point(size[:, 0], px)
    h = _per_point(size[:, 1], px)
    inside = (px[..., 0] >= 0) & (px[..., 0] < w) & (px[..., 1] >= 0) & (px[..., 1] < h)
    inside &= depth > 0.1
    return inside.reshape(len(px), -1).mean(axis=1)


def sample_cameras(
    windows: np.ndarray,
    rng: np.random.Generator,
    *,
    follow_p: float = 0.3,
    min_in_frame: float = 0.9,
    tries: int = 4,
    root: int = 0,
) -> dict:
    """One random camera per window of world joints (B, T, J, 3), looking at the subject.

    Returns ``R`` (B,3,3) world→camera, ``t`` (B,T,3) (per frame: with probability
    ``follow_p`` the camera dollies along with the subject's horizontal motion, else it is
    static), ``eye`` (B,T,3) world, ``focal`` (B,) px, ``center`` (B,2) px, ``size`` (B,2) w,h
    px. The distance is at least what fits a 1.8 m body in the frame; cameras that see fewer
    than ``min_in_frame`` of the joint positions are redrawn further away (up to ``tries``).
    """
    b = len(windows)
    size, focal, center = sample_intrinsics(b, rng)
    root_path = windows[:, :, root]
    subject = root_path.mean(axis=1)
    fit = np.maximum(focal * 1.8 / (0.9 * size[:, 1]), focal * 1.0 / (0.9 * size[:, 0]))
    low = np.clip(fit, 2.0, 7.5)
    follow = rng.random(b) < follow_p
    drift = np.where(follow[:, None, None], root_path - subject[:, None], 0.0)
    drift[..., 2] = 0.0
    R = np.zeros((b, 3, 3))
    eye = np.zeros((b, 3))
    todo = np.arange(b)
    for attempt in range(tries + 1):
        r_new, eye_new = sample_extrinsics(
            len(todo),
            rng,
            subject[todo],
            distance=np.stack([low[todo], np.full(len(todo), 8.0)], -1),
        )
        R[todo], eye[todo] = r_new, eye_new
        eyes = eye[todo, None] + drift[todo]
        t = -np.einsum("bij,btj->bti", R[todo], eyes)
        cam = world_to_camera(windows[todo], R[todo], t)
        px = project(cam, focal[todo], center[todo])
        ok = in_frame_fraction(px, size[todo], cam[..., 2]) >= min_in_frame
        if ok.all() or attempt == tries:
            break
        todo = todo[~ok]
        low[todo] = np.minimum(low[todo] * 1.3, 7.9)
    eyes = eye[:, None] + drift
    t = -np.einsum("bij,btj->bti", R, eyes)
    return {"R": R, "t": t, "eye": eyes, "focal": focal, "center": center, "size": size}
