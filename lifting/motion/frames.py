"""Coordinate frames: the ONE camera → Blender-world conversion and camera rotations.

Camera frame (OpenCV): x right, y down, z forward, metres. Blender world: Z up, floor at Z = 0.
:func:`camera_to_blender` re-labels axes for an untilted camera looking along world +Y;
:func:`camera_rotation` adds the camera's tilt (pitch) and roll so that a vector in the camera
frame maps to the world as ``world = R @ cam + location``.
"""

from __future__ import annotations

import numpy as np


def camera_to_blender(points: np.ndarray) -> np.ndarray:
    """Camera-frame points (..., 3) → Blender axes (..., 3): ``(X, Y, Z) = (x, z, -y)``.

    The result is a world frame whose +Y is the camera's forward and +Z its up, for a camera
    with no tilt or roll at the origin; :func:`camera_rotation` handles tilt and roll.
    """
    p = np.asarray(points)
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


# Matrix form of camera_to_blender (``M @ p``), derived from it so the convention lives once.
CAMERA_TO_BLENDER = camera_to_blender(np.eye(3)).T


def blender_to_camera(points: np.ndarray) -> np.ndarray:
    """Inverse of :func:`camera_to_blender`: ``(x, y, z) = (X, -Z, Y)``."""
    p = np.asarray(points)
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1)


def up_from_tilt(tilt_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """World up (3,) in Blender-camera axes (:func:`camera_to_blender` of the camera frame) for a
    camera pitched down by ``tilt_deg`` (positive = looking down at the floor) and rolled by
    ``roll_deg`` (positive = the image's horizon turns clockwise)."""
    t, r = np.radians(tilt_deg), np.radians(roll_deg)
    return np.array([np.sin(r) * np.cos(t), -np.sin(t), np.cos(r) * np.cos(t)])


def tilt_roll_from_up(up_b: np.ndarray) -> tuple[float, float]:
    """Inverse of :func:`up_from_tilt`: (tilt, roll) in degrees from a unit up vector (3,)."""
    u = np.asarray(up_b, dtype=np.float64) / np.linalg.norm(up_b)
    tilt = np.degrees(np.arcsin(np.clip(-u[1], -1.0, 1.0)))
    roll = np.degrees(np.arctan2(u[0], u[2]))
    return float(tilt), float(roll)


def camera_rotation(up_cam: np.ndarray) -> np.ndarray:
    """Camera-to-world rotation (3, 3) given world up (3,) in the camera frame (x right, y down,
    z forward). World Z = up; world X = the camera's right projected onto the floor; world
    +Y = the camera's forward projected onto the floor (no yaw). ``world = R @ cam``."""
    up_b = camera_to_blender(np.asarray(up_cam, dtype=np.float64))
    z = up_b / np.linalg.norm(up_b)
    x = np.array([1.0, 0.0, 0.0]) - z[0] * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z]) @ CAMERA_TO_BLENDER


def to_world(points_cam: np.ndarray, rotation: np.ndarray, location: np.ndarray) -> np.ndarray:
    """Camera-frame points (..., 3) → world (..., 3): ``R @ p + location``."""
    return np.asarray(points_cam) @ np.asarray(rotation).T + np.asarray(location)


def to_camera(points_world: np.ndarray, rotation: np.ndarray, location: np.ndarray) -> np.ndarray:
    """World points (..., 3) → camera frame (..., 3): ``R.T @ (P - location)``."""
    return (np.asarray(points_world) - np.asarray(location)) @ np.asarray(rotation)


def blender_camera_matrix(rotation: np.ndarray, location: np.ndarray) -> np.ndarray:
    """4×4 world matrix of a Blender camera object (looks along its local -Z, +Y up) that sees
    what our camera (camera-to-world ``rotation``, ``location``) sees."""
    m = np.eye(4)
    m[:3, :3] = np.asarray(rotation) @ np.diag([1.0, -1.0, -1.0])
    m[:3, 3] = location
    return m
