"""BlazePose-33 landmarks → the 21-joint lift layout (lifting.skeleton).

Every lift joint is a fixed weighted sum of landmarks whose weights sum to 1, so the map
commutes with translation, rotation and scale: it works the same on pixel coordinates and on
MediaPipe's metric world landmarks, and on a person lying down. Landmarks (PAPERS.md "Joint
layouts"): 0 nose, 2/5 left/right eye, 7/8 ears, 11/12 shoulders, 13/14 elbows, 15/16
wrists, 17/18 pinky knuckles, 19/20 index knuckles, 23/24 hips, 25/26 knees, 27/28 ankles,
29/30 heels, 31/32 foot index (toe tips); odd = the subject's left.

With S = shoulder midpoint (11+12)/2, P = hip midpoint (23+24)/2, N = nose (0),
E = eye midpoint (2+5)/2, F = mean of eyes and ears (2, 5, 7, 8):

- limbs map directly: hips 23/24, knees 25/26, ankles 27/28, shoulders 11/12,
  elbows 13/14, wrists 15/16 (BlazePose hips are surface landmarks; measured 26-41 mm from
  mocap hip joint centres; not corrected here).
- pelvis = P.
- spine = (S + P) / 2, the middle of the torso.
- thorax = S + (N - S) / 3 + 2/3 (N - E): a third of the way from the shoulders to the nose,
  then lowered by two thirds of the eye-nose offset (the converter public lifter demos share,
  written with vectors instead of image y so it holds for any body orientation).
- neck = N + (S - N) / 4: the nose moved a quarter of the way to the shoulders.
- head = F + (F - S) / 2: the top of the head, extrapolated from the shoulders through the
  eye/ear centre (upright adult proportions: crown ≈ 1.5x the ear height above the shoulders).
- toes = heel + 0.75 (foot index - heel). Our toe is the *ball* of the foot (the mocap toe
  base joint), while BlazePose's foot index is the toe *tip*; the ball sits about three
  quarters of the foot's length forward of the heel, so we interpolate rather than copy the
  tip (which would put the toe about 5 cm too far forward).
- hand ends = (index + pinky) / 2: between the index and pinky knuckles, i.e. near the middle
  finger knuckle.

Confidence of a lift joint = the mean visibility of the landmarks it is built from.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX, NUM_JOINTS

NUM_LANDMARKS = 33

_S = {11: 0.5, 12: 0.5}
_P = {23: 0.5, 24: 0.5}


def _combine(*terms: tuple[float, dict[int, float]]) -> dict[int, float]:
    """Sum of ``scale * point`` over terms, each point a {landmark: weight} dict."""
    out: dict[int, float] = {}
    for scale, point in terms:
        for landmark, weight in point.items():
            out[landmark] = out.get(landmark, 0.0) + scale * weight
    return out


def _formulas() -> dict[str, dict[int, float]]:
    N, E, F = {0: 1.0}, {2: 0.5, 5: 0.5}, {2: 0.25, 5: 0.25, 7: 0.25, 8: 0.25}
    direct = {
        "r_hip": 24,
        "r_knee": 26,
        "r_ankle": 28,
        "l_hip": 23,
        "l_knee": 25,
        "l_ankle": 27,
        "l_shoulder": 11,
        "l_elbow": 13,
        "l_wrist": 15,
        "r_shoulder": 12,
        "r_elbow": 14,
        "r_wrist": 16,
    }
    formulas = {name: {landmark: 1.0} for name, landmark in direct.items()}
    formulas.update(
        pelvis=_P,
        spine=_combine((0.5, _S), (0.5, _P)),
        thorax=_combine((2 / 3, _S), (1 / 3, N), (2 / 3, N), (-2 / 3, E)),
        neck=_combine((0.75, N), (0.25, _S)),
        head=_combine((1.5, F), (-0.5, _S)),
        r_toe={30: 0.25, 32: 0.75},
        l_toe={29: 0.25, 31: 0.75},
        l_hand={17: 0.5, 19: 0.5},
        r_hand={18: 0.5, 20: 0.5},
    )
    return formulas


def mapping_matrices() -> tuple[np.ndarray, np.ndarray]:
    """(weights (21, 33), confidence weights (21, 33)): lift = weights @ landmarks.

    Each row of ``weights`` sums to 1; a row of the confidence matrix averages the
    visibilities of the landmarks used by the same row of ``weights``.
    """
    weights = np.zeros((NUM_JOINTS, NUM_LANDMARKS), np.float64)
    for name, terms in _formulas().items():
        for landmark, weight in terms.items():
            weights[JOINT_INDEX[name], landmark] = weight
    used = np.abs(weights) > 1e-12
    weights[~used] = 0.0
    confidence = used / used.sum(axis=1, keepdims=True)
    return weights, confidence


_WEIGHTS, _CONFIDENCE = mapping_matrices()


def to_lift(landmarks: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Map BlazePose landmarks to the lift layout.

    landmarks (..., 33, D≥2): x, y in pixels (only the first two columns are used).
    visibility (..., 33) in [0, 1]. Returns (..., 21, 3) float32: x px, y px, confidence.
    A joint built from a NaN landmark is NaN (undetected frames stay NaN, confidence 0).
    """
    xy = np.asarray(landmarks, np.float64)[..., :2]
    vis = np.asarray(visibility, np.float64)
    if xy.shape[-2] != NUM_LANDMARKS or vis.shape != xy.shape[:-1]:
        raise ValueError(f"expected (..., 33, 2+) and (..., 33), got {xy.shape}, {vis.shape}")
    missing = np.isnan(xy).any(axis=-1)
    out = np.empty((*xy.shape[:-2], NUM_JOINTS, 3), np.float64)
    out[..., :2] = np.einsum("jl,...ld->...jd", _WEIGHTS, np.nan_to_num(xy))
    out[..., 2] = np.einsum("jl,...l->...j", _CONFIDENCE, np.nan_to_num(vis))
    bad = np.einsum("jl,...l->...j", (_WEIGHTS != 0).astype(np.float64), missing) > 0
    out[..., :2][bad] = np.nan
    out[..., 2][bad] = 0.0
    return out.astype(np.float32)
