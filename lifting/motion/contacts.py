"""Foot contacts: detection from toe and ankle height and speed, and locking with 2-bone IK.

Works on WORLD joints (T, J, 3), metres, Z up, floor at Z = 0. Each foot has two contact
joints, the ankle (heel strike, flat foot) and the toe (ball of the foot, until toe-off); each
gets its own contact mask so a rolling foot can pivot about its toe. A foot is "in contact"
when either of its joints is.

Modes: ``auto`` detects contacts from height and speed and locks them; ``always`` treats a
joint as planted whenever it is at floor level, whatever its speed (for motion that should
never slide: dancing, standing, turning on the spot); ``never`` detects and reports contacts
but changes nothing.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import MotionSettingsError
from ..skeleton import JOINT_INDEX
from .dsp import running_min
from .filters import butterworth

FOOT_LOCK_MODES = ("auto", "always", "never")
# (ankle, toe) per foot, feet ordered (left, right) as in Motion.contacts.
FEET = (
    (JOINT_INDEX["l_ankle"], JOINT_INDEX["l_toe"]),
    (JOINT_INDEX["r_ankle"], JOINT_INDEX["r_toe"]),
)
CONTACT_JOINTS = tuple(j for foot in FEET for j in foot)  # l_ankle, l_toe, r_ankle, r_toe
LEGS = (
    (JOINT_INDEX["l_hip"], JOINT_INDEX["l_knee"]),
    (JOINT_INDEX["r_hip"], JOINT_INDEX["r_knee"]),
)

# Hysteresis thresholds: enter contact below the "on" values, leave above the "off" values.
# Heights are above each joint's own local floor level (:func:`local_floor`).
# Chosen on training clips through lifting/motion/synthetic.py scenes (estimated feet are noisy).
HEIGHT_ON, HEIGHT_OFF = 0.08, 0.12  # m
SPEED_ON, SPEED_OFF = 0.7, 1.0  # m/s
# Chosen on training clips with the imitated lifter and with an early real lifter (tcn81).
SPEED_CAP, TWIN_RATIO = 1.5, 0.5  # m/s, fraction of the other foot's same joint
MIN_CONTACT_S = 0.1  # shorter contacts are dropped
MAX_GAP_S = 0.1  # shorter gaps inside a contact are filled
FLOOR_WINDOW_S = 0.75  # s each side: a stance phase always falls inside (walks and runs)
DETECT_CUTOFF_HZ = 2.0  # low-pass on the foot trajectories used to decide contacts
PLANT_CUTOFF_HZ = 1.5  # low-pass on the whole-body correction towards planted feet
BLEND_S = 0.1  # a lock fades in before and out after each contact over this time


def joint_speeds(positions: np.ndarray, fps: float) -> np.ndarray:
    """Speed (T, K) m/s of positions (T, K, 3) m, central differences (one-sided at the ends)."""
    if len(positions) < 2:
        return np.zeros(positions.shape[:2])
    return np.linalg.norm(np.gradient(positions, axis=0), axis=-1) * fps


def local_floor(height: np.ndarray, fps: float) -> np.ndarray:
    """Each joint's floor level (T, K) m: the minimum of its height (T, K) within
    ±:data:`FLOOR_WINDOW_S`, so a floor estimate that tilts slightly along a long walk does
    not hide contacts at its far end."""
    size = max(3, 2 * round(FLOOR_WINDOW_S * fps) + 1)
    return running_min(height, size)


def hysteresis(enter: np.ndarray, leave: np.ndarray) -> np.ndarray:
    """State (T, K) bool: switches on where ``enter`` and off where ``leave`` (T, K) bool."""
    state = np.zeros(enter.shape, dtype=bool)
    on = enter[0].copy()
    for t in range(len(enter)):
        on = np.where(on, ~leave[t], enter[t])
        state[t] = on
    return state


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True in a 1-D bool mask."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def clean_runs(mask: np.ndarray, min_on: int, max_gap: int) -> np.ndarray:
    """Fill gaps of ≤ ``max_gap`` frames between runs, then drop runs shorter than ``min_on``;
    mask (T, K) bool."""
    out = mask.copy()
    for k in range(mask.shape[1]):
        col = out[:, k]
        runs = _runs(col)
        for (_, e0), (s1, _) in itertools.pairwise(runs):
            if s1 - e0 <= max_gap:
                col[e0:s1] = True
        for s, e in _runs(col):
            if e - s < min_on:
                col[s:e] = False
    return out


def detect_contacts(
    joints: np.ndarray, fps: float, mode: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Contacts of world joints (T, J, 3) at ``fps``.

    Returns ``(joint_contacts (T, 4) bool`` for :data:`CONTACT_JOINTS`, ``foot_contacts (T, 2)
    bool`` left, right). In mode ``always`` speed is ignored.
    """
    if mode not in FOOT_LOCK_MODES:
        raise MotionSettingsError(
            f"Unknown foot lock mode {mode!r}: choose one of {', '.join(FOOT_LOCK_MODES)}."
        )
    p = np.asarray(joints, dtype=np.float64)[:, list(CONTACT_JOINTS)]
    if len(p) > 6:
        # Decide on a steadier copy: estimated feet wobble by centimetres from frame to frame.
        p = butterworth(p, fps, DETECT_CUTOFF_HZ)
    height = p[..., 2] - local_floor(p[..., 2], fps)
    speed = joint_speeds(p, fps)
    if mode == "always":
        speed = np.zeros_like(speed)
    # A planted foot may still drift in a lifter's estimate; in a gait one foot is down while
    # the other swings, so a foot much slower than its twin counts as slow up to SPEED_CAP.
    twin = speed[:, [2, 3, 0, 1]]
    slow_on = (speed < SPEED_ON) | ((speed < SPEED_CAP) & (speed < TWIN_RATIO * twin))
    slow_on_leave = (speed < SPEED_OFF) | ((speed < SPEED_CAP) & (speed < TWIN_RATIO * twin))
    enter = (height < HEIGHT_ON) & slow_on
    leave = (height > HEIGHT_OFF) | ~slow_on_leave
    frames = max(1, round(MIN_CONTACT_S * fps)), max(1, round(MAX_GAP_S * fps))
    contacts = clean_runs(hysteresis(enter, leave), *frames)
    feet = contacts.reshape(len(p), 2, 2).any(axis=-1)
    return contacts, feet


def lock_targets(
    positions: np.ndarray, contacts: np.ndarray, fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Where and how strongly to hold each contact joint.

    positions (T, K, 3), contacts (T, K) bool → ``targets (T, K, 3)`` (each contact's median
    position, held through the contact and its blend) and ``weights (T, K)`` in [0, 1]:
    1 during a contact, a smoothstep ramp over ``BLEND_S`` before and after it.
    """
    n, k_count = contacts.shape
    targets = positions.copy()
    weights = np.zeros((n, k_count))
    blend = max(1, round(BLEND_S * fps))
    ramp = np.arange(1, blend + 1) / (blend + 1)
    ramp = ramp * ramp * (3 - 2 * ramp)
    for k in range(k_count):
        for s, e in _runs(contacts[:, k]):
            target = np.median(positions[s:e, k], axis=0)
            w = np.zeros(n)
            w[s:e] = 1.0
            before = np.arange(s - blend, s)
            after = np.arange(e + blend - 1, e - 1, -1)
            for idx in (before, after):
                ok = (idx >= 0) & (idx < n)
                w[idx[ok]] = ramp[ok]
            stronger = w > weights[:, k]
            weights[stronger, k] = w[stronger]
            targets[stronger, k] = target
    return targets, weights


def two_bone_ik(hip, knee, ankle_target, thigh, shin):
    """Knee (T, 3) for a leg from ``hip`` (T, 3) reaching ``ankle_target`` (T, 3) with bone
    lengths ``thigh``, ``shin`` (m), bending in the plane of the original ``knee`` (T, 3).
    Returns ``(knee, ankle)``; an out-of-reach target is pulled in to 99.9 % of full reach."""
    d_vec = ankle_target - hip
    d = np.linalg.norm(d_vec, axis=-1, keepdims=True)
    reach = 0.999 * (thigh + shin)
    u = d_vec / np.maximum(d, 1e-9)
    d = np.clip(d, abs(thigh - shin) + 1e-6, reach)
    ankle = hip + u * d
    a = (thigh**2 - shin**2 + d**2) / (2 * d)
    h = np.sqrt(np.maximum(thigh**2 - a**2, 0.0))
    pole = knee - hip
    pole = pole - np.sum(pole * u, axis=-1, keepdims=True) * u
    pole /= np.maximum(np.linalg.norm(pole, axis=-1, keepdims=True), 1e-9)
    return hip + a * u + h * pole, ankle


def plant_body(joints: np.ndarray, contacts: np.ndarray, fps: float) -> np.ndarray:
    """Translate the whole body (T, J, 3) per frame towards where its planted feet should be.

    The root's estimated distance from the camera is the noisiest part of a lifted motion;
    while a foot is planted, the foot's held position and the body's own pose say where the
    root is. The correction is the contact-weighted mean of (target − joint), low-passed at
    :data:`PLANT_CUTOFF_HZ` so hand-overs between feet do not jerk; the pose is unchanged.
    """
    out = np.asarray(joints, dtype=np.float64)
    cj = list(CONTACT_JOINTS)
    targets, weights = lock_targets(out[:, cj], contacts, fps)
    total = weights.sum(axis=1, keepdims=True)
    corr = (weights[..., None] * (targets - out[:, cj])).sum(axis=1) / np.maximum(total, 1e-9)
    corr *= np.minimum(total, 1.0)
    if len(corr) > 6:
        corr = butterworth(corr, fps, PLANT_CUTOFF_HZ)
    return out + corr[:, None]


def lock_feet(joints: np.ndarray, contacts: np.ndarray, fps: float) -> np.ndarray:
    """Hold contact joints in place (world joints (T, J, 3), contacts (T, 4) bool).

    First the body moves as a whole towards its planted feet (:func:`plant_body`); then, per
    foot, the more strongly held of ankle and toe goes to its target, the other keeps the
    foot's length (so the foot pivots about a planted toe or heel), and the knee follows by
    2-bone IK from the hip with the thigh and shin lengths of each frame.
    """
    out = plant_body(joints, contacts, fps)
    cj = list(CONTACT_JOINTS)
    targets, weights = lock_targets(out[:, cj], contacts, fps)
    for f, ((ankle, toe), (hip, knee)) in enumerate(zip(FEET, LEGS, strict=True)):
        wa, wt = weights[:, 2 * f, None], weights[:, 2 * f + 1, None]
        if not np.any(wa + wt):
            continue
        a_goal = out[:, ankle] + wa * (targets[:, 2 * f] - out[:, ankle])
        t_goal = out[:, toe] + wt * (targets[:, 2 * f + 1] - out[:, toe])
        foot = np.linalg.norm(out[:, toe] - out[:, ankle], axis=-1, keepdims=True)
        toe_first = wt > wa
        a_from_toe = t_goal + foot * _unit(a_goal - t_goal)
        a_goal = np.where(toe_first, a_from_toe, a_goal)
        thigh = np.linalg.norm(out[:, knee] - out[:, hip], axis=-1, keepdims=True)
        shin = np.linalg.norm(out[:, ankle] - out[:, knee], axis=-1, keepdims=True)
        knee_new, ankle_new = two_bone_ik(out[:, hip], out[:, knee], a_goal, thigh, shin)
        toe_new = np.where(toe_first, ankle_new + foot * _unit(t_goal - a_goal), t_goal)
        toe_new = ankle_new + foot * _unit(toe_new - ankle_new)
        held = (wa + wt)[:, 0] > 0
        out[held, knee], out[held, ankle], out[held, toe] = (
            knee_new[held],
            ankle_new[held],
            toe_new[held],
        )
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def foot_slide(joints: np.ndarray, contacts: np.ndarray) -> float:
    """Mean horizontal movement (cm/frame) of contact joints between consecutive frames that
    are both in contact; joints (T, J, 3) world, contacts (T, 4) bool. NaN if no contact."""
    p = np.asarray(joints, dtype=np.float64)[:, list(CONTACT_JOINTS), :2]
    both = contacts[1:] & contacts[:-1]
    if not np.any(both):
        return float("nan")
    step = np.linalg.norm(np.diff(p, axis=0), axis=-1)
    return float(100.0 * step[both].mean())
