"""MediaPipe BlazePose over a frame range, in one process.

``mp.solutions.pose.Pose`` in tracking mode (``static_image_mode=False``): the detector runs
until it finds a person, then the landmark model follows them from frame to frame, each frame's
region of interest coming from the previous frame's landmarks. MediaPipe 0.10.21's wheel ships
only the complexity-1 ("full") landmark model; complexity 0 ("lite") and 2 ("heavy") would be
downloaded on first use, which an offline add-on must not do, so asking for them raises
:class:`ModelNotFoundError` unless the file is already installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelNotFoundError
from ..progress import CancelToken, check_cancel
from ..video import Frame
from .track import NUM_LANDMARKS

_LANDMARK_MODELS = {
    0: "pose_landmark_lite.tflite",
    1: "pose_landmark_full.tflite",
    2: "pose_landmark_heavy.tflite",
}


@dataclass(frozen=True)
class DetectorSettings:
    """MediaPipe Pose options; all of them are part of the cache key."""

    model_complexity: int = 1
    smooth_landmarks: bool = True
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def to_dict(self) -> dict:
        return asdict(self)


def landmark_model_path(complexity: int) -> Path:
    """Where MediaPipe looks for the landmark model of ``complexity`` (0, 1 or 2)."""
    import mediapipe

    if complexity not in _LANDMARK_MODELS:
        raise ValueError(f"model complexity must be 0, 1 or 2, not {complexity}")
    root = Path(mediapipe.__file__).parent
    return root / "modules" / "pose_landmark" / _LANDMARK_MODELS[complexity]


def check_model_available(complexity: int) -> None:
    """Raise ModelNotFoundError if MediaPipe would have to download the landmark model."""
    path = landmark_model_path(complexity)
    if not path.is_file():
        raise ModelNotFoundError(
            f"BlazePose model complexity {complexity} ({path.name}) is not installed: "
            "MediaPipe downloads it on first use, which Lift does not do (it works offline). "
            "Use model complexity 1, the model bundled with MediaPipe 0.10.21."
        )


def make_pose(settings: DetectorSettings):
    """A tracking-mode ``mp.solutions.pose.Pose`` (use as a context manager)."""
    check_model_available(settings.model_complexity)
    import mediapipe as mp

    return mp.solutions.pose.Pose(
        static_image_mode=False,
        model_complexity=settings.model_complexity,
        smooth_landmarks=settings.smooth_landmarks,
        enable_segmentation=False,
        min_detection_confidence=settings.min_detection_confidence,
        min_tracking_confidence=settings.min_tracking_confidence,
    )


class FrameRows:
    """Per-frame results gathered in lists, turned into arrays by :meth:`arrays`."""

    def __init__(self) -> None:
        self.keypoints: list[np.ndarray] = []
        self.presence: list[np.ndarray] = []
        self.world: list[np.ndarray] = []
        self.detected: list[bool] = []
        self.timestamps: list[float] = []
        self.frame_indices: list[int] = []

    def __len__(self) -> int:
        return len(self.frame_indices)

    def add(self, frame: Frame, result, width: int, height: int) -> None:
        """Append one frame's MediaPipe ``result`` (landmarks normalised by width, height)."""
        image_lms = result.pose_landmarks
        if image_lms is None:
            nan = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
            self.keypoints.append(np.where(np.arange(3) == 2, np.float32(0), nan))
            self.presence.append(np.full(NUM_LANDMARKS, np.nan, np.float32))
            self.world.append(nan)
        else:
            lms = image_lms.landmark
            xyv = np.array([(p.x, p.y, p.visibility) for p in lms], np.float32)
            xyv[:, 0] *= width
            xyv[:, 1] *= height
            self.keypoints.append(xyv)
            self.presence.append(
                np.array([p.presence if p.HasField("presence") else np.nan for p in lms])
            )
            world = result.pose_world_landmarks
            self.world.append(np.array([(p.x, p.y, p.z) for p in world.landmark], np.float32))
        self.detected.append(image_lms is not None)
        self.timestamps.append(frame.timestamp)
        self.frame_indices.append(frame.index)

    def arrays(self) -> dict[str, np.ndarray]:
        """keypoints (T,33,3), presence (T,33), world (T,33,3), detected, timestamps,
        frame_indices (T,)."""
        n = len(self)
        return {
            "keypoints": np.array(self.keypoints, np.float32).reshape(n, NUM_LANDMARKS, 3),
            "presence": np.array(self.presence, np.float32).reshape(n, NUM_LANDMARKS),
            "world": np.array(self.world, np.float32).reshape(n, NUM_LANDMARKS, 3),
            "detected": np.array(self.detected, bool),
            "timestamps": np.array(self.timestamps, np.float64),
            "frame_indices": np.array(self.frame_indices, np.int64),
        }


def track_frame(pose, frame: Frame):
    """MediaPipe's result for one frame (the tracker keeps its state in ``pose``)."""
    import cv2

    return pose.process(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB))


def detect_frames(
    frames: Iterable[Frame],
    pose,
    *,
    keep_from: int = 0,
    on_frame: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
) -> FrameRows:
    """Run ``pose`` on every frame; keep rows of frames with ``index >= keep_from``.

    Earlier frames only warm up the tracker (parallel workers start a little before their
    range). ``on_frame(rows_kept)`` is called after each kept frame; ``cancel`` is checked
    before each frame.
    """
    rows = FrameRows()
    for frame in frames:
        check_cancel(cancel)
        result = track_frame(pose, frame)
        if frame.index >= keep_from:
            height, width = frame.image.shape[:2]
            rows.add(frame, result, width, height)
            if on_frame is not None:
                on_frame(len(rows))
    return rows


def concat_rows(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate :meth:`FrameRows.arrays` dicts, in order."""
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
