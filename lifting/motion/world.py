"""World motion from a lifted pose and its 2D track: the ``world`` stage of the pipeline.

Stages, in order (each timed in the report):

1. ``smooth``: filter the root-relative camera-frame joints over time (:mod:`.filters`).
2. ``bones``: lock bone lengths to their clip medians (:mod:`.bones`).
3. ``trajectory``: solve each frame's root translation by perspective least squares against the
   2D keypoints, pulled weakly towards the trajectory model's root; smooth it (:mod:`.trajectory`).
4. ``ground``: fit the floor to still toes → world up (camera tilt, roll) and camera height, unless
   given; a given camera height fixes the scene's scale (:mod:`.ground`); convert with
   :func:`.frames.camera_to_blender` and the camera rotation → world, Z up, floor at Z = 0.
5. ``contacts``: detect foot contacts and lock planted feet with 2-bone IK (:mod:`.contacts`).
6. ``in place`` (optional): move the body over the origin every frame, keeping its turning.
7. ``report``: the quality report (:mod:`.report`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import (
    FileFormatError,
    MotionSettingsError,
    NoPersonFoundError,
    PoseTrackMismatchError,
)
from ..progress import ProgressFn, check_cancel, no_progress
from ..skeleton import LIFT_JOINTS
from . import bones, contacts, filters, frames, ground, trajectory
from .report import QualityReport, count_lr_swaps, joint_acceleration

MOTION_FORMAT_VERSION = 1


@dataclass
class Motion:
    """World motion. joints (T, J, 3) world metres, Z up, floor Z = 0; root (T, 3) the pelvis;
    contacts (T, 2) bool (left, right foot); joint_contacts (T, 4) bool (l_ankle, l_toe,
    r_ankle, r_toe); camera: ``focal_px, width, height, location (3,), rotation (3, 3)`` with
    ``world = rotation @ p_cam + location`` for OpenCV camera-frame points (use
    :func:`.frames.blender_camera_matrix` for a Blender camera object)."""

    joints: np.ndarray
    root: np.ndarray
    contacts: np.ndarray
    fps: float
    camera: dict
    report: QualityReport = field(default_factory=QualityReport)
    joint_contacts: np.ndarray | None = None
    joint_names: tuple[str, ...] = LIFT_JOINTS

    def save(self, path: str | Path) -> None:
        """Write an npz with named arrays, ``format_version`` and the report as JSON text."""
        import json

        cam = self.camera
        np.savez_compressed(
            path,
            format_version=np.int32(MOTION_FORMAT_VERSION),
            joints=self.joints.astype(np.float32),
            root=self.root.astype(np.float32),
            contacts=self.contacts.astype(bool),
            joint_contacts=np.zeros((len(self.joints), 4), bool)
            if self.joint_contacts is None
            else self.joint_contacts.astype(bool),
            fps=np.float64(self.fps),
            joint_names=np.array(self.joint_names),
            camera_focal_px=np.float64(cam["focal_px"]),
            camera_size=np.array([cam["width"], cam["height"]], dtype=np.int32),
            camera_location=np.asarray(cam["location"], dtype=np.float64),
            camera_rotation=np.asarray(cam["rotation"], dtype=np.float64),
            report_json=np.array(json.dumps(self.report.to_dict())),
        )

    @classmethod
    def load(cls, path: str | Path) -> Motion:
        import json

        with np.load(path, allow_pickle=False) as z:
            if "format_version" not in z or int(z["format_version"]) != MOTION_FORMAT_VERSION:
                raise FileFormatError(
                    f"{path} is not a Lift motion file of format {MOTION_FORMAT_VERSION}: "
                    "re-run the world stage to write it again."
                )
            w, h = (int(v) for v in z["camera_size"])
            camera = {
                "focal_px": float(z["camera_focal_px"]),
                "width": w,
                "height": h,
                "location": z["camera_location"],
                "rotation": z["camera_rotation"],
            }
            return cls(
                joints=z["joints"],
                root=z["root"],
                contacts=z["contacts"],
                fps=float(z["fps"]),
                camera=camera,
                report=QualityReport.from_dict(json.loads(str(z["report_json"]))),
                joint_contacts=z["joint_contacts"],
                joint_names=tuple(str(n) for n in z["joint_names"]),
            )


def _check_inputs(pose, track, **settings) -> None:
    """Pose/track consistency, then :func:`check_settings` on the keyword ``settings``."""
    t3, t2 = len(pose.joints3d), len(track.lift2d)
    if t3 != t2 or len(pose.root) != t3:
        raise PoseTrackMismatchError(
            f"The 3D pose has {t3} frames (root {len(pose.root)}) but the 2D track {t2}: lift "
            "the same keypoint track you pass here (re-run the lift stage)."
        )
    if t3 == 0:
        raise PoseTrackMismatchError("The pose has no frames: lift a non-empty keypoint track.")
    if not np.any(track.detected):
        raise NoPersonFoundError(
            "Nobody was detected in any frame, so there is no motion to place in the world: "
            "check the video shows a whole person, or choose another frame range."
        )
    if not (np.isfinite(track.fps) and track.fps > 0):
        raise MotionSettingsError(
            f"The keypoint track's frame rate is {track.fps}: give the clip's fps (e.g. 30)."
        )
    check_settings(**settings)


def check_settings(
    *,
    focal_px=None,
    camera_height=None,
    tilt=None,
    strength=0.5,
    subject_height=None,
    foot_lock="auto",
) -> None:
    """Raise MotionSettingsError for a setting :func:`to_world` cannot use (callers check
    before slow stages, so a typo does not cost a whole keypoint extraction)."""
    if focal_px is not None and not focal_px > 0:
        raise MotionSettingsError(f"Focal length {focal_px} px must be positive (or auto).")
    if camera_height is not None and not camera_height > 0.1:
        raise MotionSettingsError(f"Camera height {camera_height} m must be above 0.1 m (or auto).")
    if tilt is not None and not -89.0 < tilt < 89.0:
        raise MotionSettingsError(f"Camera tilt {tilt}° must be between -89° and 89° (or auto).")
    if not 0.0 <= strength <= 1.0:
        raise MotionSettingsError(f"Smoothing strength {strength} must be between 0 and 1.")
    if subject_height is not None and not 0.5 <= subject_height <= 2.5:
        raise MotionSettingsError(
            f"Subject height {subject_height} m must be between 0.5 and 2.5 m (or auto)."
        )
    if foot_lock not in contacts.FOOT_LOCK_MODES:
        raise MotionSettingsError(
            f"Unknown foot lock mode {foot_lock!r}: choose auto, always or never."
        )


def to_world(
    pose,
    track,
    *,
    focal_px: float | None = None,
    camera_height: float | None = None,
    tilt: float | None = None,
    in_place: bool = False,
    smoothing: str = "one_euro",
    strength: float = 0.5,
    foot_lock: str = "auto",
    subject_height: float | None = None,
    progress: ProgressFn = no_progress,
    cancel=None,
) -> Motion:
    """World motion from ``pose`` (Pose3D: joints3d (T, J, 3) camera-frame root-relative m,
    root (T, 3) camera-frame m) and ``track`` (Track2D: lift2d (T, J, 3) px + confidence,
    detected (T,), fps, width, height).

    ``focal_px`` None → a 60° horizontal field of view; ``camera_height`` (m) and ``tilt``
    (degrees, positive = looking down) None → estimated from the feet on the floor.
    ``subject_height`` (m, standing, to the top of the head) None → the lifter's body size.
    Monocular video cannot tell a small near person from a big far one: a given subject height
    or camera height fixes the scale (the camera height wins when both are given).
    """
    _check_inputs(
        pose,
        track,
        focal_px=focal_px,
        camera_height=camera_height,
        tilt=tilt,
        strength=strength,
        subject_height=subject_height,
        foot_lock=foot_lock,
    )
    clip = _Clip.of(pose, track, focal_px)
    stage = _StageClock(progress, cancel)
    rel = filters.smooth(
        bridge_gaps(clip.raw, clip.detected), clip.fps, smoothing, strength, cancel
    )
    stage.done("smooth", 0.2)
    rel, lengths = _lock_bones(rel - rel[:, :1], clip.detected, subject_height)
    stage.done("bones", 0.3)
    cam_joints = rel + _root(rel, clip, smoothing, strength, cancel)[:, None]
    stage.done("trajectory", 0.5)
    rotation, location, scale, estimated = _camera_pose(cam_joints, clip.fps, camera_height, tilt)
    world = frames.to_world(cam_joints * scale, rotation, location)
    stage.done("ground", 0.6)
    joint_contacts, feet = contacts.detect_contacts(world, clip.fps, foot_lock)
    if foot_lock != "never":
        world = contacts.lock_feet(world, joint_contacts, clip.fps)
    stage.done("contacts", 0.8)
    camera = {"focal_px": clip.focal, "width": clip.width, "height": clip.height}
    camera.update(location=location, rotation=rotation)
    report = _report(clip, world, joint_contacts=joint_contacts, feet=feet, camera=camera)
    report.camera.update(estimated, subject_height_m=bones.standing_height(lengths) * scale)
    if in_place:
        world = world.copy()
        world[..., :2] -= world[:, :1, :2]
    stage.done("report", 1.0)
    report.stage_seconds = dict(stage.seconds)
    return Motion(
        joints=world.astype(np.float32),
        root=world[:, 0].astype(np.float32),
        contacts=feet,
        fps=clip.fps,
        camera=camera,
        report=report,
        joint_contacts=joint_contacts,
    )


@dataclass
class _Clip:
    """The inputs of one run: raw pose (T, J, 3) and root (T, 3) camera frame m; keypoints
    (T, J, 2) px; conf (T, J), 0 where nobody was detected; detected (T,); fps; frame size;
    focal length and principal point px."""

    raw: np.ndarray
    raw_root: np.ndarray
    kp: np.ndarray
    conf: np.ndarray
    detected: np.ndarray
    fps: float
    width: int
    height: int
    focal: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.width / 2.0, self.height / 2.0)

    @classmethod
    def of(cls, pose, track, focal_px: float | None) -> _Clip:
        kp = np.asarray(track.lift2d, dtype=np.float64)
        detected = np.asarray(track.detected, dtype=bool)
        width = int(track.width)
        return cls(
            raw=np.asarray(pose.joints3d, dtype=np.float64),
            raw_root=np.asarray(pose.root, dtype=np.float64),
            kp=kp[..., :2],
            conf=kp[..., 2] * detected[:, None],
            detected=detected,
            fps=float(track.fps),
            width=width,
            height=int(track.height),
            focal=float(focal_px) if focal_px is not None else trajectory.default_focal(width),
        )


class _StageClock:
    """Times each stage, reports progress and checks for cancel between stages."""

    def __init__(self, progress: ProgressFn, cancel) -> None:
        self.progress, self.cancel = progress, cancel
        self.seconds: dict[str, float] = {}
        self.start = time.perf_counter()
        check_cancel(cancel)

    def done(self, stage: str, fraction: float) -> None:
        now = time.perf_counter()
        self.seconds[stage], self.start = now - self.start, now
        self.progress(fraction)
        check_cancel(self.cancel)


def _lock_bones(rel: np.ndarray, detected: np.ndarray, subject_height: float | None):
    """Root-relative joints (T, J, 3) with constant bone lengths, and those lengths (J,)."""
    lengths = bones.median_bone_lengths(rel, detected)
    if subject_height is not None:
        lengths = bones.scale_to_height(lengths, subject_height)
    rel = bones.lock_bone_lengths(rel, lengths)
    return rel - rel[:, :1], lengths


def _root(rel: np.ndarray, clip: _Clip, smoothing: str, strength: float, cancel) -> np.ndarray:
    """Root (T, 3) camera frame m: perspective least squares, depth low-passed, then the
    user's smoothing."""
    root, _ = trajectory.solve_root(
        rel, clip.kp, clip.conf, clip.focal, clip.center, prior=clip.raw_root
    )
    root = trajectory.smooth_depth(
        root, rel, clip.kp, clip.conf, focal=clip.focal, center=clip.center, fps=clip.fps
    )
    return filters.smooth(root, clip.fps, smoothing, strength, cancel)


def bridge_gaps(x: np.ndarray, detected: np.ndarray) -> np.ndarray:
    """x (T, ...) with frames where nobody was detected (T,) bool replaced by linear
    interpolation between the nearest detected frames (held at the ends): a lifter's output
    there is a guess from padding, and the filters would spread it to good frames."""
    if detected.all() or not detected.any():
        return x
    idx = np.arange(len(x))
    flat = x.reshape(len(x), -1).copy()
    for k in range(flat.shape[1]):
        flat[~detected, k] = np.interp(idx[~detected], idx[detected], flat[detected, k])
    return flat.reshape(x.shape)


def _camera_pose(cam_joints, fps, camera_height, tilt):
    """Camera-to-world rotation (3, 3), location (3,), scene scale, and what was estimated."""
    if tilt is None:
        prior = ground.body_up(cam_joints)
        candidates = ground.floor_candidates(cam_joints, fps, prior)
        up = ground.fit_floor(candidates, prior)
    else:
        up = frames.blender_to_camera(frames.up_from_tilt(tilt))
        candidates = ground.floor_candidates(cam_joints, fps, up)
    estimated_height = ground.camera_height(candidates, up)
    scale = 1.0
    if camera_height is not None:
        # Perspective cannot tell a small near person from a big far one: a known camera
        # height fixes the whole scene's scale (the reprojection does not change).
        scale = (camera_height - ground.TOE_CLEARANCE) / max(
            estimated_height - ground.TOE_CLEARANCE, 1e-3
        )
    h = camera_height if camera_height is not None else estimated_height
    tilt_deg, roll_deg = frames.tilt_roll_from_up(frames.camera_to_blender(up))
    info = {
        "height_m": float(h),
        "tilt_deg": tilt_deg,
        "roll_deg": roll_deg,
        "scale": float(scale),
        "estimated": [k for k, v in (("height", camera_height), ("tilt", tilt)) if v is None],
    }
    return frames.camera_rotation(up), np.array([0.0, 0.0, h]), scale, info


def _report(clip: _Clip, world, *, joint_contacts, feet, camera) -> QualityReport:
    """Quality figures of the final world joints against the raw camera-frame lifter output."""
    acc = joint_acceleration(world, clip.fps)
    back = frames.to_camera(world, camera["rotation"], camera["location"])
    return QualityReport(
        frames=len(world),
        fps=clip.fps,
        detection_coverage=float(clip.detected.mean()),
        jitter_raw=_inner_mean(joint_acceleration(clip.raw + clip.raw_root[:, None], clip.fps)),
        jitter=_inner_mean(acc),
        foot_slide_cm_per_frame=contacts.foot_slide(world, joint_contacts),
        contact_fraction=float(feet.any(axis=1).mean()),
        bone_length_cv_raw_pct=bones.bone_length_variation(clip.raw, clip.detected),
        bone_length_cv_pct=bones.bone_length_variation(world),
        lr_swaps=count_lr_swaps(clip.kp, clip.conf),
        reprojection_px=trajectory.reprojection_error(
            back, clip.kp, clip.conf, clip.focal, clip.center
        ),
        camera={"focal_px": clip.focal},
        jitter_per_frame=acc.round(4).tolist(),
        contacts=feet.astype(int).tolist(),
    )


def _inner_mean(acc: np.ndarray) -> float:
    """Mean of a per-frame acceleration (T,) over frames that have one (NaN below 3 frames)."""
    return float(acc[1:-1].mean()) if len(acc) > 2 else float("nan")
