# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn a pipeline result into Blender data: the one path shared by the button and the batch.

Order: rest skeleton from the clip → armature → bone rotations (retarget maths) → one
KeyframePlan written into a new action → (optionally) the same motion retargeted onto the
user's target rig as a new action on it → scene timing → matching camera with the video behind
it. Everything created is new (Blender gives new names on clashes); nothing existing is
modified except the scene's frame rate, range, resolution and active camera when the scene
follows the video (an option, on by default), and the target rig's active action (its
previous action is kept with a fake user; see ``scene/retarget_apply.py``).

A target rig that cannot be mapped raises ``RigMappingError`` before anything is created; a
retarget that fails later removes the new armature and action again: either the whole result
is made or nothing is.
"""

import json
from dataclasses import dataclass

import bpy
import numpy as np

from ..lifting.errors import TargetRigNotFoundError
from ..lifting.retarget import ROOT_BONE, lift_rest_skeleton, solve
from ..lifting.retarget.bonemap import BoneMap
from ..lifting.retarget.lift_rig import fill_missing
from .armature import build_armature, rest_matrices
from .body import add_chosen_body, load_body_model
from .camera import add_background_video, build_camera
from .keyframes import pose_plan, write_plan
from .retarget_apply import CONTACTS_PROP, check_target, retarget_onto

REPORT_PROP = "lift_report"  # custom property on the armature: the quality summary as JSON


@dataclass(frozen=True)
class ApplySettings:
    """How the result enters the scene.

    ``follow_video``: set the scene's frame rate, frame range and resolution from the video and
    make the new matching camera the active one; ``first_frame``: scene frame of the clip's
    first frame; ``name``: base name of the new objects; ``camera``: add a matching camera with
    the video as its background; ``body``/``body_path``: a skinned body mesh on the armature
    (``scene/body.py``).
    """

    follow_video: bool = True
    first_frame: int = 1
    name: str = "Lift"
    camera: bool = True
    body: str = "NONE"  # "NONE", "DEFAULT", "SMPL" or "MESHNET" (scene/body.py BODY_KINDS)
    body_path: str = ""  # the user's SMPL file for body="SMPL"
    target_rig: str = ""  # an armature object to retarget onto as well ("": none)
    retarget_root: str = "hips"  # root motion on the target: "hips", "root" or "object"
    retarget_foot_lock: bool = True  # lock planted feet on the target
    retarget_bones: tuple = ()  # ((role, bone), ...) for the target; empty: automatic map


def scene_fps(fps: float) -> tuple[int, float]:
    """Blender's ``(render.fps, render.fps_base)`` for a frame rate, e.g. 29.97 → (30, 1.001)."""
    whole = max(round(fps), 1)
    base = whole / fps
    return whole, (1.0 if abs(base - 1.0) < 1e-4 else base)


def key_frames(num_frames: int, fps: float, scene, settings: ApplySettings) -> np.ndarray:
    """Scene frames (T,) of the motion's frames: one per frame when the scene follows the video,
    else the same times at the scene's frame rate (fractional frames)."""
    steps = np.arange(num_frames, dtype=np.float64)
    if not settings.follow_video:
        steps *= (scene.render.fps / scene.render.fps_base) / fps
    return settings.first_frame + steps


def apply_result(context, result, settings: ApplySettings | None = None) -> dict:
    """Create the armature, action and camera for ``result`` (a ``PipelineResult``).

    Must run on Blender's main thread (it leaves Edit/Pose Mode for Object Mode). Returns
    ``{"armature", "action", "camera", "clip", "body", "retarget"}`` (camera, clip, body may be
    None; ``retarget`` is ``retarget_onto``'s result when ``settings.target_rig`` is set, else
    None). Raises ``TargetRigNotFoundError``, ``RigMappingError``, ``LinkedRigError`` for a bad
    target rig; nothing is left behind then.
    """
    settings = settings or ApplySettings()
    body_model = load_body_model(settings.body, settings.body_path)  # bad file: nothing made
    target, bonemap = target_rig(context, settings)  # unmappable rig: nothing made
    scene = context.scene
    collection = context.collection or scene.collection
    motion, track = result.motion, result.track
    joints = fill_missing(motion.joints)
    if context.mode != "OBJECT" and context.active_object is not None:
        bpy.ops.object.mode_set(mode="OBJECT")  # bones are built in Edit Mode of the new armature
    rest = lift_rest_skeleton(joints)
    armature = build_armature(collection, rest, settings.name)
    rest.matrices = rest_matrices(armature)  # exactly what Blender stored (float32 rolls)
    solved = solve(joints, rest)
    frames = key_frames(len(joints), float(motion.fps), scene, settings)
    root = rest.index(ROOT_BONE)
    plan = pose_plan(frames, rest.names, solved.rotations, {ROOT_BONE: solved.locations[:, root]})
    action = bpy.data.actions.new(f"{armature.name}Action")
    write_plan(action, armature, plan)
    armature[REPORT_PROP] = json.dumps(summary(result))
    armature[CONTACTS_PROP] = np.asarray(motion.contacts, dtype=int).ravel().tolist()
    retargeted = None
    if target is not None:
        made = (armature, action)
        retargeted = _retarget(context, target, bonemap, made=made, joints=joints, frames=frames,
                               motion=motion, settings=settings)  # fmt: skip
    body = None
    if body_model is not None:
        body = add_chosen_body(
            context, armature, rest, body_model, result=result, frames=frames,
            name=f"{settings.name} Body",
        )  # fmt: skip
    if settings.follow_video:
        _follow_video(scene, motion, frames)
    camera = clip = None
    if settings.camera:
        camera = build_camera(collection, motion.camera, f"{settings.name} Camera")
        first_index = int(np.asarray(track.frame_indices)[0]) if len(track.frame_indices) else 0
        clip = add_background_video(camera, str(track.source), settings.first_frame, first_index)
        if settings.follow_video:
            scene.camera = camera  # look through it to check the motion over the footage
    _select_only(context, armature if retargeted is None else retargeted["object"])
    return {
        "armature": armature,
        "action": action,
        "camera": camera,
        "clip": clip,
        "body": body,
        "retarget": retargeted,
    }


def target_rig(context, settings: ApplySettings):
    """The target rig object and its checked bone map, or ``(None, None)`` without one."""
    if not settings.target_rig:
        return None, None
    target = bpy.data.objects.get(settings.target_rig)
    if target is None:
        raise TargetRigNotFoundError(
            f"There is no armature {settings.target_rig!r} to retarget onto: pick the target "
            "rig again, or clear it to make only the Lift armature."
        )
    bonemap = BoneMap(dict(settings.retarget_bones)) if settings.retarget_bones else None
    return target, check_target(context, target, bonemap, settings.retarget_root)


def _retarget(context, target, bonemap, *, made, joints, frames, motion, settings):
    """``retarget_onto`` the target; on failure the new armature and action (``made``) are
    removed."""
    try:
        return retarget_onto(
            context,
            target,
            joints,
            frames,
            float(motion.fps),
            bonemap=bonemap,
            contacts=np.asarray(motion.contacts, dtype=bool),
            root_motion=settings.retarget_root,
            foot_lock=settings.retarget_foot_lock,
        )
    except Exception:
        armature, action = made
        data = armature.data
        bpy.data.objects.remove(armature)
        bpy.data.armatures.remove(data)
        bpy.data.actions.remove(action)
        raise


def _follow_video(scene, motion, frames) -> None:
    scene.render.fps, scene.render.fps_base = scene_fps(float(motion.fps))
    scene.frame_start = int(frames[0])
    scene.frame_end = int(np.ceil(frames[-1]))
    scene.render.resolution_x = int(motion.camera["width"])
    scene.render.resolution_y = int(motion.camera["height"])
    scene.render.resolution_percentage = 100


def _select_only(context, obj) -> None:
    for other in context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj


def summary(result) -> dict:
    """The result's headline figures (JSON-ready): frames, fps, model, detection coverage,
    stage seconds and the motion's quality summary."""
    track, motion = result.track, result.motion
    out = {
        "frames": len(motion.joints),
        "fps": float(motion.fps),
        "video": str(track.source),
        "model": str(getattr(result.pose, "model", "")),
        "device": str(getattr(result.pose, "device", "")),
        "detection_coverage": float(np.mean(track.detected)) if len(track.detected) else 0.0,
        "stage_seconds": {k: round(v, 4) for k, v in result.timings.items()},
    }
    report = getattr(motion, "report", None)
    if report is not None and hasattr(report, "summary"):
        out["quality"] = report.summary()
    return out
