"""Root trajectory for a static camera, by perspective geometry.

Given the root-relative pose ``rel (T, J, 3)`` (camera frame, metres; its bone lengths fix the
scale) and the 2D keypoints ``(T, J, 2)`` px with confidences, each frame's root translation
``t`` solves, by confidence-weighted linear least squares, the projection equations
``(X_j + t_x) − x'_j (Z_j + t_z) = 0`` and ``(Y_j + t_y) − y'_j (Z_j + t_z) = 0`` with
``x' = (u − c_x) / f`` — one pair per joint, linear in ``t``. Further passes reweight each
joint by its depth so the residuals are image-plane errors, and by a Cauchy weight of its
reprojection residual so a few bad keypoints (an outlier, a swapped limb) barely move the root.

The trajectory model's root (the lifter's second net) is combined with the geometry where the
geometry has nothing to say: frames with too few keypoints take the model's root, rescaled to
agree with the geometric solution on the solved frames (the model cannot know the focal
length, so its depth is right only up to a scale). Optionally (``prior_weight`` > 0) it also
regularises every frame.
"""

from __future__ import annotations

import numpy as np

MIN_CONFIDENCE = 0.3  # keypoints below this do not take part
MIN_JOINTS = 4  # frames with fewer confident keypoints fall back to the prior / interpolation
PRIOR_WEIGHT = 0.0  # weight of the model's root relative to one keypoint in every frame
ROBUST_ITERATIONS = 3  # reweighted passes (depth-normalised, outliers down-weighted)
ROBUST_MIN_PX = 2.0
DEPTH_CUTOFF_HZ = 1.0  # the root's distance from the camera changes slowly


def default_focal(width: int, hfov_deg: float = 60.0) -> float:
    """Focal length (px) of a ``hfov_deg`` horizontal field of view: ~0.87 × width at 60°,
    in the middle of the 55–70° of phones and consumer cameras."""
    return 0.5 * width / np.tan(np.radians(hfov_deg) / 2.0)


def _normal_equations(rel, xn, w):
    """Per-frame 3×3 normal matrix and right-hand side of the projection equations.

    rel (T, J, 3) m, xn (T, J, 2) normalised image coordinates, w (T, J) weights."""
    t_count, j_count = w.shape
    a = np.zeros((t_count, j_count, 2, 3))
    a[..., 0, 0] = 1.0
    a[..., 1, 1] = 1.0
    a[..., :, 2] = -xn
    b = xn * rel[..., 2:3] - rel[..., :2]
    ata = np.einsum("tj,tjri,tjrk->tik", w, a, a)
    atb = np.einsum("tj,tjri,tjr->ti", w, a, b)
    return ata, atb


def solve_root(
    rel: np.ndarray,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    focal: float,
    center: tuple[float, float],
    *,
    prior: np.ndarray | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> tuple[np.ndarray, np.ndarray]:
    """Root translation (T, 3) camera frame metres, and ``solved (T,) bool``.

    rel (T, J, 3) root-relative camera-frame joints m; keypoints (T, J, 2) px; confidence
    (T, J) in [0, 1]; focal px; center (c_x, c_y) px; prior (T, 3) m or None. Frames with too
    few confident keypoints are not solved: they take the prior if given, else are
    interpolated from their neighbours.
    """
    rel = np.asarray(rel, dtype=np.float64)
    xn, w = _normalised_keypoints(keypoints, confidence, focal, center)
    solved = (w > 0).sum(axis=1) >= MIN_JOINTS
    w = w * solved[:, None]
    if prior is not None:
        prior = _usable_prior(np.asarray(prior, dtype=np.float64))
    root = _least_squares(rel, xn, w, prior, prior_weight)
    for _ in range(ROBUST_ITERATIONS):
        depth = np.maximum(rel[..., 2] + root[:, None, 2], 0.1)
        robust = _cauchy_weights(rel + root[:, None], xn, focal, depth)
        weights = w * robust / depth**2 * np.median(depth) ** 2
        root = _least_squares(rel, xn, weights, prior, prior_weight)
    return _fill(root, solved, prior), solved


def _normalised_keypoints(keypoints, confidence, focal, center):
    """Normalised image coordinates xn (T, J, 2) and weights w (T, J).

    Frames where nobody was detected carry NaN keypoints; they get weight 0 and xn = 0, since
    a zero weight times NaN would still poison the per-frame sums."""
    xn = (np.asarray(keypoints, dtype=np.float64)[..., :2] - np.asarray(center)) / focal
    conf = np.nan_to_num(np.asarray(confidence, dtype=np.float64), nan=0.0)
    finite = np.isfinite(xn).all(axis=-1)
    w = np.where((conf >= MIN_CONFIDENCE) & finite, conf, 0.0)
    return np.where(finite[..., None], xn, 0.0), w


def _cauchy_weights(points, xn, focal, depth) -> np.ndarray:
    """Per-keypoint weights (T, J) that shrink with the reprojection residual: Cauchy with a
    scale of twice the frame's median residual, at least :data:`ROBUST_MIN_PX` pixels."""
    residual = np.linalg.norm(points[..., :2] / depth[..., None] - xn, axis=-1) * focal
    scale = np.maximum(2.0 * np.median(residual, axis=1, keepdims=True), ROBUST_MIN_PX)
    return 1.0 / (1.0 + (residual / scale) ** 2)


def _least_squares(rel, xn, w, prior, prior_weight):
    ata, atb = _normal_equations(rel, xn, w)
    if prior is not None and prior_weight > 0:
        lam = prior_weight * np.maximum(w.sum(axis=1), 1.0)[:, None]
        ata = ata + lam[..., None] * np.eye(3)
        atb = atb + lam * np.asarray(prior, dtype=np.float64)
    else:
        ata = ata + 1e-9 * np.eye(3)
    return np.linalg.solve(ata, atb[..., None])[..., 0]


def _usable_prior(prior: np.ndarray) -> np.ndarray | None:
    """The model's root (T, 3), or None when it is missing (zeros, NaN, behind the camera)."""
    if not np.isfinite(prior).all() or np.median(prior[:, 2]) < 0.3:
        return None
    return prior


def _fill(root: np.ndarray, solved: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
    """Unsolved frames: the prior rescaled to the solved frames' depths if given, else linear
    interpolation between solved neighbours (ends held)."""
    if solved.all() or not solved.any():
        return root if prior is None or solved.all() else prior.copy()
    if prior is not None:
        ok = solved & (prior[:, 2] > 0.1)
        scale = np.median(root[ok, 2] / prior[ok, 2]) if ok.any() else 1.0
        return np.where(solved[:, None], root, prior * scale)
    idx = np.arange(len(root))
    out = root.copy()
    for d in range(3):
        out[~solved, d] = np.interp(idx[~solved], idx[solved], root[solved, d])
    return out


def smooth_depth(
    root: np.ndarray,
    rel: np.ndarray,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    *,
    focal: float,
    center: tuple[float, float],
    fps: float,
) -> np.ndarray:
    """Root (T, 3) with its depth low-passed at :data:`DEPTH_CUTOFF_HZ` (zero phase) and x, y
    re-solved from the 2D keypoints at that depth.

    Depth comes from the body's apparent size, so it carries most of the noise (a 1 % size error
    is 10 cm at 10 m); x and y follow the 2D keypoints closely once the depth is fixed, so they
    are re-solved rather than filtered as hard.
    """
    from .filters import butterworth

    z = butterworth(root[:, 2], fps, DEPTH_CUTOFF_HZ)
    xn, w = _normalised_keypoints(keypoints, confidence, focal, center)
    solved = (w > 0).sum(axis=1) >= MIN_JOINTS
    depth = rel[..., 2] + z[:, None]
    xy = xn * depth[..., None] - rel[..., :2]  # each joint's vote for (t_x, t_y)
    wsum = np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
    voted = (w[..., None] * xy).sum(axis=1) / wsum
    out = root.copy()
    out[:, 2] = z
    out[solved, :2] = voted[solved]
    return out


def project(points_cam: np.ndarray, focal: float, center: tuple[float, float]) -> np.ndarray:
    """Pinhole projection of camera-frame points (..., 3) m → (..., 2) px."""
    p = np.asarray(points_cam, dtype=np.float64)
    z = np.maximum(p[..., 2:3], 1e-6)
    return p[..., :2] / z * focal + np.asarray(center)


def reprojection_error(
    points_cam: np.ndarray,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    focal: float,
    center: tuple[float, float],
) -> float:
    """Mean pixel distance between projected points (T, J, 3) and keypoints (T, J, 2) over
    keypoints with confidence ≥ :data:`MIN_CONFIDENCE`; NaN if there are none."""
    ok = np.asarray(confidence) >= MIN_CONFIDENCE
    if not ok.any():
        return float("nan")
    err = np.linalg.norm(project(points_cam, focal, center) - keypoints[..., :2], axis=-1)
    return float(err[ok].mean())
