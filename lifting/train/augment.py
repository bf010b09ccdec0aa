"""Pose-space augmentation of world windows (B, T, 21, 3), metres, Z up, floor at Z = 0.

The shared mocap has walking, running, gestures and dance but no sitting, crouching or
kneeling, and only a few body shapes. These functions widen it:

- :func:`scale_bones`: body proportions (hip width up to ×1.8, limbs ±15 %, DESIGN.md §8);
  feet stay on the floor, strides scale with the legs;
- :func:`perturb_joints`: joint rotations within human limits (ball joints a few degrees,
  knees/elbows only about their hinge, never past straight or beyond 150° of flexion); bone
  lengths are kept;
- :func:`recombine`: the upper body of one window on the lower body of another (turned to the
  other pelvis's heading); bone lengths kept except the spine link;
- :func:`bend`: hips and knees bent towards seated or crouched poses with the feet kept where
  they are (two-bone IK, bone lengths kept) and the trunk leaning;
- :func:`kneel`: one or both knees on the floor (bone lengths kept);
- :func:`augment_poses`: a random mix of the above, for training.

All functions take and return float arrays (B, T, 21, 3) and a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX, NUM_JOINTS, PARENTS

J = JOINT_INDEX
UP = np.array([0.0, 0.0, 1.0])
LEGS = {side: [J[f"{side}_{n}"] for n in ("hip", "knee", "ankle", "toe")] for side in "lr"}
LOWER = [J["pelvis"], *LEGS["l"], *LEGS["r"]]
UPPER = [j for j in range(NUM_JOINTS) if j not in LOWER]
TOES = [J["l_toe"], J["r_toe"]]


def children_of() -> list[list[int]]:
    kids = [[] for _ in range(NUM_JOINTS)]
    for j, p in enumerate(PARENTS):
        if p >= 0:
            kids[p].append(j)
    return kids


def subtree(joint: int) -> list[int]:
    """``joint`` and all its descendants in the lift tree."""
    kids, out, todo = children_of(), [], [joint]
    while todo:
        j = todo.pop()
        out.append(j)
        todo.extend(kids[j])
    return sorted(out)


def body_axes(windows: np.ndarray):
    """Per-frame horizontal body axes (left, forward), each (B, T, 3), from the hips."""
    left = windows[..., J["l_hip"], :] - windows[..., J["r_hip"], :]
    left = left * [1.0, 1.0, 0.0]
    left /= np.maximum(np.linalg.norm(left, axis=-1, keepdims=True), 1e-6)
    forward = np.cross(left, UP)
    return left, forward


def rotation_matrices(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues: unit ``axis`` (..., 3), ``angle`` (...) radians → (..., 3, 3)."""
    axis = axis / np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-12)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    c, s = np.cos(angle), np.sin(angle)
    k = 1 - c
    return np.stack(
        [
            np.stack([c + x * x * k, x * y * k - z * s, x * z * k + y * s], -1),
            np.stack([y * x * k + z * s, c + y * y * k, y * z * k - x * s], -1),
            np.stack([z * x * k - y * s, z * y * k + x * s, c + z * z * k], -1),
        ],
        -2,
    )


def rotate_subtree(windows, joint: int, pivot: np.ndarray, rot: np.ndarray) -> None:
    """In place: rotate ``joint`` and its descendants about ``pivot`` (B,T,3) by (B,T,3,3)."""
    sub = subtree(joint)
    rel = windows[..., sub, :] - pivot[..., None, :]
    windows[..., sub, :] = pivot[..., None, :] + np.einsum("btij,btkj->btki", rot, rel)


def floor_shift(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Per-window vertical shift (B,1,1,3) putting ``after``'s lowest toes where ``before``'s
    were (5th percentile over time of the lower toe)."""
    lo_b = np.percentile(before[..., TOES, 2].min(-1), 5, axis=1)
    lo_a = np.percentile(after[..., TOES, 2].min(-1), 5, axis=1)
    shift = np.zeros((len(before), 1, 1, 3))
    shift[:, 0, 0, 2] = lo_b - lo_a
    return shift


# --- proportions ------------------------------------------------------------------------------

BONE_GROUPS = {  # child joints whose parent bone shares one factor; (low, high) factor range
    "hips": ((J["l_hip"], J["r_hip"]), (0.9, 1.8)),
    "thigh": ((J["l_knee"], J["r_knee"]), (0.85, 1.15)),
    "shin": ((J["l_ankle"], J["r_ankle"]), (0.85, 1.15)),
    "foot": ((J["l_toe"], J["r_toe"]), (0.85, 1.15)),
    "spine": ((J["spine"], J["thorax"]), (0.9, 1.1)),
    "neck": ((J["neck"], J["head"]), (0.85, 1.15)),
    "shoulders": ((J["l_shoulder"], J["r_shoulder"]), (0.85, 1.15)),
    "upper_arm": ((J["l_elbow"], J["r_elbow"]), (0.85, 1.15)),
    "forearm": ((J["l_wrist"], J["r_wrist"]), (0.85, 1.15)),
    "hand": ((J["l_hand"], J["r_hand"]), (0.85, 1.15)),
}


def scale_bones(windows: np.ndarray, rng, factors: np.ndarray | None = None) -> np.ndarray:
    """New body proportions per window; the floor contact and pelvis path are kept.

    ``factors`` (B, 21) per child joint multiplies its parent bone's length; by default drawn
    per window from :data:`BONE_GROUPS` (left/right within 3 % of each other) times an overall
    size factor in [0.9, 1.1]. The pelvis's horizontal travel scales with the leg length (so
    strides match the legs) and the window is shifted vertically to keep the feet on the floor.
    """
    w = np.asarray(windows, dtype=np.float64)
    b = len(w)
    if factors is None:
        factors = np.ones((b, NUM_JOINTS))
        for joints, (low, high) in BONE_GROUPS.values():
            f = rng.uniform(low, high, (b, 1)) * rng.uniform(0.985, 1.015, (b, len(joints)))
            factors[:, list(joints)] = f
        factors *= rng.uniform(0.9, 1.1, (b, 1))
    out = np.empty_like(w)
    out[..., 0, :] = w[..., 0, :]
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        out[..., j, :] = out[..., p, :] + (w[..., j, :] - w[..., p, :]) * factors[:, None, j, None]
    leg = (factors[:, J["l_knee"]] + factors[:, J["l_ankle"]]) / 2
    travel = (w[:, :, 0, :2] - w[:, :1, 0, :2]) * (leg[:, None, None] - 1.0)
    out[..., :2] += travel[:, :, None, :]
    return out + floor_shift(w, out)


# --- joint rotations -------------------------------------------------------------------------

BALL_JOINTS = {  # child joint rotated about its parent: max angle in degrees
    J["spine"]: 10.0,
    J["thorax"]: 10.0,
    J["neck"]: 15.0,
    J["l_shoulder"]: 8.0,
    J["r_shoulder"]: 8.0,
    J["l_elbow"]: 25.0,
    J["r_elbow"]: 25.0,
    J["l_knee"]: 8.0,
    J["r_knee"]: 8.0,
}
HINGES = {  # child joint: (hinge middle joint, fallback axis sign along the body's left)
    J["l_wrist"]: (J["l_elbow"], -1.0),
    J["r_wrist"]: (J["r_elbow"], -1.0),
    J["l_ankle"]: (J["l_knee"], 1.0),
    J["r_ankle"]: (J["r_knee"], 1.0),
}
MAX_FLEXION = np.deg2rad(150.0)


def perturb_joints(windows: np.ndarray, rng, scale: float = 1.0) -> np.ndarray:
    """Random joint rotations (constant per window, in the body frame), bone lengths kept.

    Ball joints turn about a random body-frame axis by up to ``BALL_JOINTS`` degrees × scale;
    knees and elbows flex or extend about their hinge by -15°…+25° × scale, clamped between
    straight and 150°. Legs change less than arms; the feet are put back on the floor.
    """
    w = np.array(windows, dtype=np.float64)
    b, t = w.shape[:2]
    left, forward = body_axes(w)
    frame = np.stack([left, forward, np.broadcast_to(UP, left.shape)], -2)  # (B,T,3,3)
    for child, max_deg in BALL_JOINTS.items():
        axis_body = rng.normal(size=(b, 1, 3))
        axis = np.einsum("bxk,btkd->btd", axis_body, frame)
        angle = np.deg2rad(rng.uniform(-max_deg, max_deg, (b, 1))) * scale
        rot = rotation_matrices(axis, np.broadcast_to(angle, (b, t)))
        rotate_subtree(w, child, w[..., PARENTS[child], :], rot)
    for child, (mid, sign) in HINGES.items():
        top = PARENTS[mid]
        upper = w[..., mid, :] - w[..., top, :]
        lower = w[..., child, :] - w[..., mid, :]
        axis = np.cross(upper, lower)
        norm = np.linalg.norm(axis, axis=-1)
        bent = norm > 0.05 * np.linalg.norm(upper, axis=-1) * np.linalg.norm(lower, axis=-1)
        axis = np.where(bent[..., None], axis, sign * left)
        cosang = np.einsum("bti,bti->bt", upper, lower) / np.maximum(
            np.linalg.norm(upper, axis=-1) * np.linalg.norm(lower, axis=-1), 1e-9
        )
        flexion = np.arccos(np.clip(cosang, -1, 1))
        delta = np.deg2rad(rng.uniform(-15, 25, (b, 1))) * scale
        delta = np.clip(delta, -flexion, MAX_FLEXION - flexion)
        rotate_subtree(w, child, w[..., mid, :], rotation_matrices(axis, delta))
    return w + floor_shift(np.asarray(windows, dtype=np.float64), w)


# --- upper/lower recombination ---------------------------------------------------------------


def heading(windows: np.ndarray) -> np.ndarray:
    """Yaw (B, T) radians of the body's forward direction (from the hips)."""
    _, forward = body_axes(windows)
    return np.arctan2(forward[..., 1], forward[..., 0])


def recombine(windows: np.ndarray, rng, partner: np.ndarray | None = None) -> np.ndarray:
    """Upper body of window ``partner[i]`` on the lower body of window i.

    The donor's upper body (spine and above, relative to its pelvis) is turned by the
    difference in pelvis heading per frame and placed on window i's pelvis. Bone lengths are
    kept, except the pelvis→spine link which follows the donor.
    """
    w = np.asarray(windows, dtype=np.float64)
    if partner is None:
        partner = rng.permutation(len(w))
    donor = w[partner]
    turn = heading(w) - heading(donor)
    rot = rotation_matrices(np.broadcast_to(UP, (*turn.shape, 3)), turn)
    rel = donor[..., UPPER, :] - donor[..., :1, :]
    out = w.copy()
    out[..., UPPER, :] = w[..., :1, :] + np.einsum("btij,btkj->btki", rot, rel)
    return out


# --- bending towards sitting / crouching ------------------------------------------------------

POSES = {  # pelvis height above the ankles' mean (m; None: thigh horizontal), back (m, None:
    # thigh length), trunk lean (deg, + forward), knee spread (fraction of the body's left)
    "sit": (None, None, -5.0, 0.15),
    "crouch": (0.30, 0.15, 35.0, 0.35),
}


def two_bone_ik(hip, ankle, l1, l2, bend_dir):
    """Knee positions (…,3) for hips and ankles (…,3), bone lengths l1, l2 (…), knees bent
    towards ``bend_dir`` (…,3). Unreachable ankles are pulled towards the hip; returns
    (knee, ankle)."""
    d_vec = ankle - hip
    d = np.linalg.norm(d_vec, axis=-1)
    u = d_vec / np.maximum(d, 1e-9)[..., None]
    d_ok = np.clip(d, np.abs(l1 - l2) + 1e-7, l1 + l2 - 1e-7)
    ankle = hip + u * d_ok[..., None]
    a = (l1**2 - l2**2 + d_ok**2) / (2 * d_ok)
    h = np.sqrt(np.maximum(l1**2 - a**2, 0.0))
    v = bend_dir - np.einsum("...i,...i->...", bend_dir, u)[..., None] * u
    v /= np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)
    return hip + u * a[..., None] + v * h[..., None], ankle


def bend(windows: np.ndarray, amount: np.ndarray, pose: str = "sit", lean=None) -> np.ndarray:
    """Bend hips and knees towards ``pose`` ("sit" or "crouch") by ``amount`` (B, T) in [0, 1].

    The pelvis moves towards a target above and behind the feet, the legs are re-solved by
    two-bone IK with the ankles and toes kept in place (bone lengths kept; an ankle the leg
    cannot reach is pulled towards the hip, its toe along), the trunk leans by ``lean``
    degrees (default from :data:`POSES`) × amount.
    """
    w = np.asarray(windows, dtype=np.float64)
    amount = np.broadcast_to(np.asarray(amount, dtype=np.float64), w.shape[:2])
    height, back, lean_deg, spread = POSES[pose]
    lean_deg = lean_deg if lean is None else lean
    left, forward = body_axes(w)
    pelvis = w[..., 0, :]
    thigh = np.linalg.norm(w[..., J["l_knee"], :] - w[..., J["l_hip"], :], axis=-1)
    shin = np.linalg.norm(w[..., J["l_ankle"], :] - w[..., J["l_knee"], :], axis=-1)
    feet = (w[..., J["l_ankle"], :] + w[..., J["r_ankle"], :]) / 2
    hip_drop = pelvis[..., 2] - (w[..., J["l_hip"], 2] + w[..., J["r_hip"], 2]) / 2
    z = feet[..., 2] + (shin if height is None else height) + hip_drop
    behind = thigh if back is None else back
    target = feet - forward * behind[..., None] if np.ndim(behind) else feet - forward * behind
    target[..., 2] = np.minimum(z, pelvis[..., 2])  # never raise the pelvis
    new_pelvis = pelvis + (target - pelvis) * amount[..., None]
    delta = new_pelvis - pelvis
    out = w.copy()
    # upper body and hips follow the pelvis; the trunk leans about the body's left axis
    moved = [*UPPER, 0, J["l_hip"], J["r_hip"]]
    out[..., moved, :] += delta[..., None, :]
    rot = rotation_matrices(left, np.deg2rad(lean_deg) * amount)
    rel = out[..., UPPER, :] - new_pelvis[..., None, :]
    out[..., UPPER, :] = new_pelvis[..., None, :] + np.einsum("btij,btkj->btki", rot, rel)
    for side, sign in (("l", 1.0), ("r", -1.0)):
        hip, knee, ankle, toe = LEGS[side]
        l1 = np.linalg.norm(w[..., knee, :] - w[..., hip, :], axis=-1)
        l2 = np.linalg.norm(w[..., ankle, :] - w[..., knee, :], axis=-1)
        # bend the knee in its own plane at first, towards the pose's direction with amount
        axis = w[..., ankle, :] - w[..., hip, :]
        axis /= np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-9)
        own = w[..., knee, :] - w[..., hip, :]
        own -= np.einsum("...i,...i->...", own, axis)[..., None] * axis
        norm = np.linalg.norm(own, axis=-1, keepdims=True)
        own = np.where(norm > 1e-3, own / np.maximum(norm, 1e-9), forward)
        pose_dir = forward + sign * spread * left
        pose_dir /= np.linalg.norm(pose_dir, axis=-1, keepdims=True)
        bend_dir = own * (1 - amount[..., None]) + pose_dir * amount[..., None]
        new_knee, new_ankle = two_bone_ik(out[..., hip, :], w[..., ankle, :], l1, l2, bend_dir)
        out[..., knee, :] = new_knee
        out[..., toe, :] = w[..., toe, :] + (new_ankle - w[..., ankle, :])
        out[..., ankle, :] = new_ankle
    return out


# --- kneeling ----------------------------------------------------------------------------

KNEE_ON_FLOOR = 0.05  # knee joint centre above the floor when kneeling, m
ANKLE_ON_FLOOR = 0.08  # ankle joint centre above the floor with the foot flat, m
TOE_ON_FLOOR = 0.035  # ball-of-foot joint above the floor, m


def _lengths(w, side):
    hip, knee, ankle, toe = LEGS[side]
    return tuple(
        np.linalg.norm(w[..., a, :] - w[..., b, :], axis=-1)
        for a, b in ((knee, hip), (ankle, knee), (toe, ankle))
    )


def _floor_foot(ankle, forward, foot, toe_z=TOE_ON_FLOOR, direction=1.0):
    """Toe (…,3) ``foot`` m from the ankle along ±forward, down to ``toe_z`` where possible."""
    dz = np.clip(ankle[..., 2] - toe_z, 0.0, foot * 0.95)
    horizontal = np.sqrt(foot**2 - dz**2)
    return ankle + direction * forward * horizontal[..., None] - UP * dz[..., None]


def kneel(windows: np.ndarray, one_knee: bool = False) -> np.ndarray:
    """Kneeling poses (B, T, 21, 3) from world windows, bone lengths kept, floor at Z = 0."""
    w = np.asarray(windows, dtype=np.float64)
    _, forward = body_axes(w)
    hips_z = (w[..., J["l_hip"], 2] + w[..., J["r_hip"], 2]) / 2
    thigh = _lengths(w, "r")[0]
    drop = KNEE_ON_FLOOR + thigh - hips_z  # right thigh vertical, its knee on the floor
    out = w.copy()
    moved = [*UPPER, 0, J["l_hip"], J["r_hip"]]
    out[..., moved, 2] += drop[..., None]
    for side in ("l", "r"):
        hip, knee, ankle, toe = LEGS[side]
        l1, l2, lf = _lengths(w, side)
        h = out[..., hip, :]
        if side == "l" and one_knee:
            # foot planted forward: ankle below a knee one thigh length in front of the hip
            target = h + forward * l1[..., None]
            target[..., 2] = ANKLE_ON_FLOOR
            k, a = two_bone_ik(h, target, l1, l2, forward + UP)
            out[..., knee, :], out[..., ankle, :] = k, a
            out[..., toe, :] = _floor_foot(a, forward, lf)
            continue
        k = h - UP * l1[..., None]
        rise = np.clip(KNEE_ON_FLOOR + 0.03 - k[..., 2], -0.5 * l2, 0.5 * l2)
        a = k - forward * np.sqrt(l2**2 - rise**2)[..., None] + UP * rise[..., None]
        out[..., knee, :], out[..., ankle, :] = k, a
        out[..., toe, :] = _floor_foot(a, forward, lf, direction=-1.0)
    return out


def ramp(rng, b: int, t: int, low=0.3, high=1.0) -> np.ndarray:
    """Per-window amounts (B, T): constant, or a smooth transition (sitting down / standing up)."""
    a0 = rng.uniform(0.0, high, (b, 1))
    a1 = rng.uniform(low, high, (b, 1))
    start = rng.uniform(0, 0.7, (b, 1)) * t
    length = rng.uniform(0.15, 0.5, (b, 1)) * t
    s = np.clip((np.arange(t)[None] - start) / length, 0, 1)
    s = s * s * (3 - 2 * s)
    steady = rng.random((b, 1)) < 0.5
    return np.where(steady, a1, a0 + (a1 - a0) * s)


def augment_poses(
    windows: np.ndarray,
    rng,
    *,
    p_scale: float = 0.8,
    p_perturb: float = 0.5,
    p_recombine: float = 0.2,
    p_bend: float = 0.3,
) -> np.ndarray:
    """A random mix of the augmentations above for a training batch (B, T, 21, 3) float32.

    Bent windows: 40 % towards sitting, 30 % crouching (constant or a smooth transition),
    20 % kneeling on both knees, 10 % on one knee.
    """
    w = np.array(windows, dtype=np.float64)
    b, t = w.shape[:2]

    def pick(p):
        return np.flatnonzero(rng.random(b) < p)

    if len(idx := pick(p_recombine)) > 1:
        w[idx] = recombine(w[idx], rng)
    if len(idx := pick(p_bend)):
        kind = rng.choice(4, size=len(idx), p=[0.4, 0.3, 0.2, 0.1])
        for k, name in enumerate(("sit", "crouch")):
            if len(sel := idx[kind == k]):
                bent = bend(w[sel], ramp(rng, len(sel), t), name)
                w[sel] = bent + floor_shift(w[sel], bent)  # feet the legs cannot reach
        if len(sel := idx[kind == 2]):
            w[sel] = kneel(w[sel])
        if len(sel := idx[kind == 3]):
            w[sel] = kneel(w[sel], one_knee=True)
    if len(idx := pick(p_perturb)):
        w[idx] = perturb_joints(w[idx], rng)
    if len(idx := pick(p_scale)):
        w[idx] = scale_bones(w[idx], rng)
    return w.astype(np.float32)
