"""The footage to adapt to: 2D keypoints as the lifters read them, with the clip's camera.

An :class:`AdaptClip` holds one clip's screen-normalised 2D + confidence at the model's frame
rate and its focal length in normalised units (``2 * focal_px / width``, principal point at the
frame centre). :func:`sample_windows` draws training windows from a list of clips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ClipTooShortError
from ..inference import prepare_inputs, resample_frames
from ..motion.trajectory import default_focal
from .backproject import normalised_focal


@dataclass
class AdaptClip:
    """``inputs (T, 21, 3)`` normalised 2D + confidence (0 where missing), ``f_n`` normalised
    focal length, ``width`` px (to report errors in pixels), ``name``."""

    inputs: np.ndarray
    f_n: float
    width: float
    name: str = ""

    @classmethod
    def from_keypoints(
        cls,
        lift2d: np.ndarray,
        width: float,
        height: float,
        *,
        fps: float | None = None,
        model_fps: float = 30.0,
        focal_px: float | None = None,
        name: str = "",
    ) -> AdaptClip:
        """From ``lift2d (T, 21, 3)`` x px, y px, confidence of a ``width`` × ``height`` video.

        Resampled to ``model_fps`` as :func:`lifting.inference.lift` does; ``focal_px`` None →
        the world stage's guess (:func:`lifting.motion.trajectory.default_focal`, 60° wide).
        """
        x = prepare_inputs(lift2d, width, height)
        if fps and abs(fps - model_fps) > 0.05 * model_fps and len(x) > 1:
            x = resample_frames(x, max(1, round((len(x) - 1) * model_fps / fps) + 1))
        if not (x[..., 2] > 0).any():
            raise ClipTooShortError(
                "The clip has no detected person to adapt to; choose a clip where someone is seen."
            )
        focal = default_focal(int(width)) if focal_px is None else float(focal_px)
        return cls(x.astype(np.float32), float(normalised_focal(focal, width)), float(width), name)


def sample_windows(
    clips: list[AdaptClip], rng: np.random.Generator, batch: int, pad: int, out_frames: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random windows ``(B, out_frames + 2 * pad, 21, 3)`` (ends edge-padded like inference),
    their clips' ``f_n (B,)`` and clip indices ``(B,)``. Clips are drawn in proportion to their
    length; a clip shorter than ``out_frames`` repeats its last frame."""
    lengths = np.array([len(c.inputs) for c in clips], np.float64)
    idx = rng.choice(len(clips), size=batch, p=lengths / lengths.sum())
    k = np.arange(out_frames + 2 * pad) - pad
    out = np.empty((batch, len(k), *clips[0].inputs.shape[1:]), np.float32)
    for b, i in enumerate(idx):
        x = clips[i].inputs
        t0 = int(rng.integers(0, max(1, len(x) - out_frames + 1)))
        out[b] = x[np.clip(t0 + k, 0, len(x) - 1)]
    return out, np.array([clips[i].f_n for i in idx], np.float32), idx
