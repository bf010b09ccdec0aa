"""Quality report of a world motion: a dataclass, JSON, and a small PNG plot.

Figures: detection coverage (fraction of frames with a person), jitter (mean joint
acceleration, m/s², of the lifter's raw camera-frame output and of the final motion), foot slide
during detected contacts (cm/frame), bone-length variation (mean coefficient of variation, %,
raw and final), left/right swaps detected in the 2D keypoints, reprojection error of the final
3D against the 2D keypoints (px), the camera used, and per-stage times (s).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..skeleton import JOINT_INDEX, LEFT, RIGHT

REPORT_FORMAT_VERSION = 1
SWAP_RATIO = 0.5  # the swapped labelling must explain the motion at least this much better
SWAP_MIN_PX = 0.05  # ... and the unswapped one must jump by this fraction of the body height
_LIMBS = {
    "legs": ("knee", "ankle", "toe"),
    "arms": ("elbow", "wrist", "hand"),
}
SWAP_GROUPS = (
    *(
        (tuple(JOINT_INDEX[f"l_{j}"] for j in js), tuple(JOINT_INDEX[f"r_{j}"] for j in js))
        for js in _LIMBS.values()
    ),
    (LEFT, RIGHT),
)


def joint_acceleration(joints: np.ndarray, fps: float) -> np.ndarray:
    """Mean over joints of |second difference| × fps², (T,) m/s²; 0 at the first/last frame."""
    j = np.asarray(joints, dtype=np.float64)
    acc = np.zeros(len(j))
    if len(j) >= 3:
        acc[1:-1] = np.linalg.norm(j[2:] - 2 * j[1:-1] + j[:-2], axis=-1).mean(axis=-1) * fps**2
    return acc


def _group_swaps(kp, ok, left, right) -> np.ndarray:
    """Frames (T-1,) bool where the left/right labels of one joint group flip between frames."""
    both = ok[1:, left] & ok[1:, right] & ok[:-1, left] & ok[:-1, right]
    step = lambda a, b: np.linalg.norm(kp[1:, a] - kp[:-1, b], axis=-1)  # noqa: E731
    same = ((step(left, left) + step(right, right)) * both).sum(axis=1)
    swap = ((step(left, right) + step(right, left)) * both).sum(axis=1)
    size = np.ptp(kp[..., 1], axis=1)[1:] * both.sum(axis=1)
    return (swap < SWAP_RATIO * same) & (same > SWAP_MIN_PX * size) & (size > 0)


def count_lr_swaps(keypoints: np.ndarray, confidence: np.ndarray) -> int:
    """Frames of 2D keypoints (T, J, 2) px where left and right labels flip — of the legs, the
    arms or the whole body (MediaPipe confuses legs seen from the side most): swapping a
    group's left joints with their right twins explains the step from the previous frame far
    better than not swapping. A swap that lasts a few frames counts twice (in and out)."""
    kp = np.asarray(keypoints, dtype=np.float64)[..., :2]
    ok = np.asarray(confidence) >= 0.3
    if len(kp) < 2:
        return 0
    flips = np.zeros(len(kp) - 1, dtype=bool)
    for left, right in SWAP_GROUPS:
        flips |= _group_swaps(kp, ok, list(left), list(right))
    return int(flips.sum())


@dataclass
class QualityReport:
    """How good a world motion is; see the module docstring for each figure's meaning."""

    frames: int = 0
    fps: float = 0.0
    detection_coverage: float = float("nan")
    jitter_raw: float = float("nan")
    jitter: float = float("nan")
    foot_slide_cm_per_frame: float = float("nan")
    contact_fraction: float = float("nan")
    bone_length_cv_raw_pct: float = float("nan")
    bone_length_cv_pct: float = float("nan")
    lr_swaps: int = 0
    reprojection_px: float = float("nan")
    camera: dict = field(default_factory=dict)
    stage_seconds: dict = field(default_factory=dict)
    jitter_per_frame: list = field(default_factory=list)
    contacts: list = field(default_factory=list)  # per frame [left, right] as 0/1

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (NaN becomes None), with ``format_version``."""
        d = asdict(self)
        d["format_version"] = REPORT_FORMAT_VERSION
        return _json_ready(d)

    @classmethod
    def from_dict(cls, d: dict) -> QualityReport:
        if d.get("format_version") != REPORT_FORMAT_VERSION:
            raise FileFormatError(
                f"Quality report format_version {d.get('format_version')!r} is not "
                f"{REPORT_FORMAT_VERSION}: re-run the world stage to regenerate it."
            )
        fields = {k: (float("nan") if v is None else v) for k, v in d.items()}
        fields.pop("format_version")
        return cls(**fields)

    def save(self, path: str | Path) -> None:
        """Write the report as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> QualityReport:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def summary(self) -> dict:
        """The headline figures only (no per-frame series), for sidebars and logs."""
        d = self.to_dict()
        for k in ("jitter_per_frame", "contacts", "format_version"):
            d.pop(k)
        return d

    def plot(self, path: str | Path) -> None:
        """PNG of jitter and contacts over time (matplotlib, Agg backend)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        t = np.arange(len(self.jitter_per_frame)) / max(self.fps, 1e-9)
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 3.5), sharex=True, dpi=100)
        ax1.plot(t, self.jitter_per_frame, lw=0.8)
        ax1.set_ylabel("accel. m/s²")
        ax1.set_title(f"jitter {self.jitter:.2f} m/s² (raw {self.jitter_raw:.2f})", fontsize=9)
        c = np.asarray(self.contacts, dtype=float).reshape(-1, 2)
        for i, (name, colour) in enumerate((("left", "tab:blue"), ("right", "tab:orange"))):
            ax2.fill_between(t[: len(c)], i, i + 0.8 * c[:, i], step="mid", color=colour)
            ax2.text(0, i + 0.85, name, fontsize=7)
        ax2.set_yticks([])
        ax2.set_xlabel("time s")
        ax2.set_title(
            f"foot contacts (slide {self.foot_slide_cm_per_frame:.2f} cm/frame)", fontsize=9
        )
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def _json_ready(x):
    if isinstance(x, dict):
        return {k: _json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_ready(v) for v in x]
    if isinstance(x, np.ndarray):
        return _json_ready(x.tolist())
    if isinstance(x, (np.floating, float)):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, (np.integer, np.bool_)):
        return int(x)
    return x
