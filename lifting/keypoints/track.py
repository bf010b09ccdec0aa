"""Track2D: the 2D keypoints of one video, and its ``.npz`` file format.

One row per processed frame, in frame order. Frames where MediaPipe found nobody are kept with
``detected = False``: their coordinates are NaN and their visibility and confidence 0 (nothing
is invented). Frames that could not be decoded are not rows; their indices are listed in
``failed_frames``.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..skeleton import LIFT_JOINTS, NUM_JOINTS

FORMAT_VERSION = 1
NUM_LANDMARKS = 33  # BlazePose

# name -> (dtype, shape after the frame axis); None: a scalar stored as a 0-d array
_ARRAYS: dict[str, tuple[type, tuple[int, ...]]] = {
    "keypoints": (np.float32, (NUM_LANDMARKS, 3)),
    "presence": (np.float32, (NUM_LANDMARKS,)),
    "world": (np.float32, (NUM_LANDMARKS, 3)),
    "lift2d": (np.float32, (NUM_JOINTS, 3)),
    "detected": (np.bool_, ()),
    "timestamps": (np.float64, ()),
    "frame_indices": (np.int64, ()),
}
_SCALARS: dict[str, type] = {"fps": float, "width": int, "height": int, "source": str}


@dataclass
class Track2D:
    """2D keypoints of T frames.

    keypoints (T, 33, 3) float32: BlazePose landmarks, x px, y px (image: x right, y down,
      origin at the top-left corner of the upright frame), visibility in [0, 1].
    presence (T, 33) float32: MediaPipe's presence score; NaN where the graph reports none
      (the ``solutions.pose`` graph of MediaPipe 0.10.21 never does).
    world (T, 33, 3) float32: MediaPipe world landmarks, metres, camera-aligned axes
      (x right, y down, z away from the camera), origin at the hip centre.
    lift2d (T, 21, 3) float32: the lift layout (lifting.skeleton), x px, y px, confidence;
      from :func:`lifting.keypoints.blazepose.to_lift`.
    detected (T,) bool: a person was found in the frame.
    timestamps (T,) float64: seconds from the video's first frame.
    frame_indices (T,) int64: index of each row's frame in the video.
    fps: rows per second (the video's nominal rate divided by ``stride``).
    width, height: upright frame size in pixels. source: the video's path.
    stride: frames of the video per row. failed_frames (K,) int64: frames in the requested
      range that could not be decoded (no row).
    """

    keypoints: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    lift2d: np.ndarray
    detected: np.ndarray
    timestamps: np.ndarray
    frame_indices: np.ndarray
    fps: float
    width: int
    height: int
    source: str
    stride: int = 1
    failed_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        self.validate()

    def __len__(self) -> int:
        return len(self.frame_indices)

    def validate(self) -> None:
        """Coerce dtypes and check shapes; raise FileFormatError naming the bad array."""
        n = len(np.asarray(self.frame_indices))
        for name, (dtype, shape) in _ARRAYS.items():
            value = np.asarray(getattr(self, name))
            if value.shape != (n, *shape):
                raise FileFormatError(
                    f"Track2D array '{name}' has shape {value.shape}, expected {(n, *shape)}."
                )
            setattr(self, name, value.astype(dtype, copy=False))
        self.failed_frames = np.asarray(self.failed_frames, np.int64).reshape(-1)
        self.fps, self.width, self.height = float(self.fps), int(self.width), int(self.height)
        self.source, self.stride = str(self.source), int(self.stride)

    def save(self, path: str | Path) -> Path:
        """Write an ``.npz`` (arrays by name, ``format_version``, ``joint_names``)."""
        path = Path(path)
        arrays = {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
        arrays["format_version"] = np.asarray(FORMAT_VERSION)
        arrays["joint_names"] = np.asarray(LIFT_JOINTS)
        with open(path, "wb") as f:  # a file object: numpy would append ".npz" to a bare name
            np.savez_compressed(f, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Track2D:
        """Read a file written by :meth:`save`; FileFormatError if it is not one."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
            raise FileFormatError(f"'{path}' is not a keypoints .npz file ({err}).") from err
        return cls.from_arrays(arrays, str(path))

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], name: str = "arrays") -> Track2D:
        version = arrays.get("format_version")
        if version is None or int(version) != FORMAT_VERSION:
            raise FileFormatError(
                f"'{name}' has format_version {version}; this Lift reads version "
                f"{FORMAT_VERSION}. Re-run keypoint extraction."
            )
        missing = [k for k in (*_ARRAYS, *_SCALARS) if k not in arrays]
        if missing:
            raise FileFormatError(f"'{name}' lacks arrays {missing}. Re-run keypoint extraction.")
        names = tuple(str(n) for n in arrays.get("joint_names", LIFT_JOINTS))
        if names != LIFT_JOINTS:
            raise FileFormatError(f"'{name}' uses joints {names}, not the lift layout.")
        try:
            kwargs = {k: arrays[k] for k in _ARRAYS}
            kwargs.update({k: cast(arrays[k].item()) for k, cast in _SCALARS.items()})
            kwargs["stride"] = int(arrays["stride"]) if "stride" in arrays else 1
            kwargs["failed_frames"] = arrays.get("failed_frames", np.zeros(0, np.int64))
            return cls(**kwargs)
        except (TypeError, ValueError, FileFormatError) as err:
            raise FileFormatError(f"'{name}' holds malformed keypoints: {err}") from err
