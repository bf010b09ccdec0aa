# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender side of tools/make_sample.py: scene, per-frame body mesh, render, encode.

Workbench render (studio light, shadows), a tiled floor at Z = 0, a plain background, a
camera given by OpenCV-style intrinsics/extrinsics (x right, y down, z forward). Frames are
rendered to PNGs, then encoded to H.264 mp4 by Blender's own FFmpeg through the sequencer
(OpenCV's writer here has no H.264 encoder, but OpenCV reads the result back).
"""

from __future__ import annotations

import time
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

# name -> RGBA (linear). Clothing-like colours help the detector find limbs.
COLOURS = {
    "skin": (0.62, 0.36, 0.25, 1.0),
    "hair": (0.05, 0.03, 0.02, 1.0),
    "shirt": (0.05, 0.25, 0.55, 1.0),
    "trousers": (0.10, 0.12, 0.20, 1.0),
    "shoes": (0.03, 0.025, 0.02, 1.0),
    "floor_a": (0.62, 0.56, 0.45, 1.0),
    "floor_b": (0.52, 0.46, 0.36, 1.0),
}
BACKGROUND = (0.55, 0.62, 0.70)


def reset_scene(width: int, height: int, fps: int):
    """An empty scene set up for a Workbench render of ``width`` × ``height`` px."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    scene.render.fps, scene.render.fps_base = fps, 1.0
    scene.render.film_transparent = False
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.studio_light = "outdoor.sl"
    shading.use_world_space_lighting = True  # a fixed sun-like light: the floor stays bright
    shading.color_type = "MATERIAL"
    shading.show_shadows = True
    shading.shadow_intensity = 0.35
    shading.show_cavity = True
    shading.cavity_type = "WORLD"
    shading.show_specular_highlight = True
    scene.display.light_direction = (0.4, -0.3, 0.85)
    scene.display.render_aa = "8"
    scene.view_settings.view_transform = "Standard"
    world = bpy.data.worlds.new("World")
    world.color = BACKGROUND
    scene.world = world
    return scene


def material(name: str):
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = COLOURS[name]
    mat.roughness = 0.7
    return mat


def add_body(vertices: np.ndarray, faces: np.ndarray, face_material: np.ndarray, names):
    """The body mesh object: rest ``vertices`` (V,3) m, ``faces`` (F,3), material per face."""
    mesh = bpy.data.meshes.new("body")
    mesh.from_pydata(vertices.tolist(), [], faces.tolist())
    for name in names:
        mesh.materials.append(material(name))
    mesh.polygons.foreach_set("material_index", face_material.astype(np.int32))
    mesh.shade_smooth()
    obj = bpy.data.objects.new("body", mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def add_floor(centre_xy, size: float = 16.0, tile: float = 0.5):
    """A checkered floor of ``tile``-metre squares centred on ``centre_xy`` at Z = 0."""
    n = int(size / tile)
    x0, y0 = centre_xy[0] - size / 2, centre_xy[1] - size / 2
    verts, faces, mats = [], [], []
    for i in range(n):
        for k in range(n):
            base = len(verts)
            xa, ya = x0 + i * tile, y0 + k * tile
            verts += [
                (xa, ya, 0),
                (xa + tile, ya, 0),
                (xa + tile, ya + tile, 0),
                (xa, ya + tile, 0),
            ]
            faces.append((base, base + 1, base + 2, base + 3))
            mats.append((i + k) % 2)
    mesh = bpy.data.meshes.new("floor")
    mesh.from_pydata(verts, [], faces)
    mesh.materials.append(material("floor_a"))
    mesh.materials.append(material("floor_b"))
    mesh.polygons.foreach_set("material_index", np.array(mats, dtype=np.int32))
    obj = bpy.data.objects.new("floor", mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def add_camera(location, rotation_cam_to_world: np.ndarray, focal_px: float, width: int):
    """A camera from OpenCV-style extrinsics: columns of the rotation = camera x, y, z axes."""
    cam = bpy.data.cameras.new("camera")
    cam.sensor_fit = "HORIZONTAL"
    cam.sensor_width = 36.0
    cam.lens = float(focal_px) * 36.0 / width
    cam.shift_x = cam.shift_y = 0.0
    cam.clip_start, cam.clip_end = 0.05, 100.0
    obj = bpy.data.objects.new("camera", cam)
    # Blender cameras look down their -Z with +Y up: flip OpenCV's y and z axes.
    rot = np.asarray(rotation_cam_to_world) @ np.diag([1.0, -1.0, -1.0])
    mat = np.eye(4)
    mat[:3, :3], mat[:3, 3] = rot, location
    obj.matrix_world = Matrix(mat.tolist())
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.scene.camera = obj
    return obj


def blender_projection(points: np.ndarray) -> np.ndarray:
    """Pixel coordinates (N,2) of world points (N,3) through the scene camera, as Blender
    renders them (origin at the image's top-left corner, y down)."""
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    scene = bpy.context.scene
    w, h = scene.render.resolution_x, scene.render.resolution_y
    out = []
    for p in points:
        ndc = world_to_camera_view(scene, scene.camera, Vector(p.tolist()))
        out.append((ndc.x * w, (1.0 - ndc.y) * h))
    return np.array(out)


def render_frames(body, posed: np.ndarray, out_dir: Path, log=print) -> list[Path]:
    """Render one PNG per frame of ``posed`` (T,V,3) vertices; returns the paths."""
    scene = bpy.context.scene
    scene.render.image_settings.file_format = "PNG"
    paths, start = [], time.perf_counter()
    for t, verts in enumerate(posed):
        body.data.vertices.foreach_set("co", verts.astype(np.float32).ravel())
        body.data.update()
        path = out_dir / f"frame_{t:04d}.png"
        scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
        paths.append(path)
        if t % 25 == 0:
            log(f"  frame {t}/{len(posed)}  {time.perf_counter() - start:.1f} s")
    return paths


def encode_mp4(frames: list[Path], out: Path, fps: int, size: tuple[int, int], crf="PERC_LOSSLESS"):
    """Encode PNG ``frames`` to an H.264 mp4 with Blender's FFmpeg (sequencer, no 3D render)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.fps, scene.render.fps_base = fps, 1.0
    scene.view_settings.view_transform = "Standard"
    editor = scene.sequence_editor_create()
    strip = editor.strips.new_image("frames", str(frames[0]), 1, 1)
    for path in frames[1:]:
        strip.elements.append(path.name)
    scene.frame_start, scene.frame_end = 1, len(frames)
    settings = scene.render.image_settings
    settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    ff = scene.render.ffmpeg
    ff.format, ff.codec = "MPEG4", "H264"
    ff.constant_rate_factor = crf  # PERC_LOSSLESS: x264 CRF 17
    ff.ffmpeg_preset = "BEST"
    ff.gopsize = fps
    ff.audio_codec = "NONE"
    scene.render.use_sequencer = True
    scene.render.filepath = str(out)
    scene.render.use_file_extension = False
    bpy.ops.render.render(animation=True)
    return out
