# SPDX-License-Identifier: GPL-3.0-or-later
"""A camera that matches the footage, with the video as its background."""

from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

SENSOR_WIDTH_MM = 36.0


def build_camera(collection, camera: dict, name: str = "Lift Camera"):
    """A new camera object from ``Motion.camera`` (``focal_px, width, height, location (3,),
    rotation (3, 3)`` camera-to-world for OpenCV camera axes, world Z up, metres).

    The focal length in millimetres is ``focal_px / width * sensor width`` on a 36 mm sensor
    fitted horizontally, so the field of view equals the footage's.
    """
    from ..lifting.motion.frames import blender_camera_matrix

    data = bpy.data.cameras.new(name)
    data.sensor_fit = "HORIZONTAL"
    data.sensor_width = SENSOR_WIDTH_MM
    data.lens = float(camera["focal_px"]) / float(camera["width"]) * SENSOR_WIDTH_MM
    obj = bpy.data.objects.new(name, data)
    collection.objects.link(obj)
    matrix = blender_camera_matrix(
        np.asarray(camera["rotation"], dtype=np.float64),
        np.asarray(camera["location"], dtype=np.float64),
    )
    obj.matrix_world = Matrix(matrix.tolist())
    return obj


def add_background_video(camera_obj, video: str, scene_frame_of_first: int, first_index: int):
    """Show ``video`` behind ``camera_obj``'s view, aligned so that video frame
    ``first_index`` (0-based) plays at scene frame ``scene_frame_of_first``.

    Returns the new MovieClip, or None when Blender cannot open the video (the motion is
    still usable without a background).
    """
    path = Path(video)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        if not images:
            return None
        path = images[0]
    try:
        clip = bpy.data.movieclips.load(str(path), check_existing=False)
    except RuntimeError:
        return None
    clip.frame_start = int(scene_frame_of_first - first_index)
    data = camera_obj.data
    data.show_background_images = True
    background = data.background_images.new()
    background.source = "MOVIE_CLIP"
    background.clip = clip
    background.alpha = 1.0
    return clip
