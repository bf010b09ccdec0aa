"""Automatic bone mapping: which bone of a target armature plays which body role.

A map is ``{role: bone name}`` over :data:`ROLES`. :func:`auto_map` finds it from names
(Rigify controls and metarigs, Mixamo, Unreal-mannequin-style, ordinary custom names with
Left/L/_l/.L/-L variants), then fills what names cannot say from the hierarchy (the hips are
where the legs meet, the chest where the arms meet, the neck leads from there to the head)
and geometry (sides of unnamed limbs from x, which spine bone is the chest from heights).
Rigify rigs get their FK controls, never DEF/ORG/MCH bones when a control exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, RigMappingError
from .rigdesc import RigDescription

SIDES = ("L", "R")
LIMB_CHAINS = (
    ("shoulder", "upper_arm", "forearm", "hand"),
    ("thigh", "shin", "foot", "toe"),
)
CENTRAL = ("root", "hips", "spine", "chest", "neck", "head")
ROLES: tuple[str, ...] = CENTRAL + tuple(
    f"{part}.{side}" for side in SIDES for chain in LIMB_CHAINS for part in chain
)
OPTIONAL = frozenset({"root", "spine", "neck", "shoulder.L", "shoulder.R", "toe.L", "toe.R"})
REQUIRED: tuple[str, ...] = tuple(r for r in ROLES if r not in OPTIONAL)
PRESET_FORMAT = 1

# Joined name words (side and modifiers removed) → role base.
_KEYWORDS = {
    "root": {"root", "master", "main", "global", "world", "origin"},
    "hips": {"hips", "pelvis", "hip", "cog"},
    "spine": {"spine", "abdomen", "waist", "back", "lowerback", "belly"},
    "chest": {"chest", "upperchest", "thorax", "ribcage", "ribs"},
    "neck": {"neck"},
    "head": {"head", "skull"},
    "shoulder": {"shoulder", "clavicle", "collar", "collarbone", "clav", "scapula"},
    "upper_arm": {"upperarm", "arm", "uparm", "humerus", "armupper", "bicep", "shldr"},
    "forearm": {"forearm", "lowerarm", "elbow", "armlower", "lowarm", "radius", "ulna"},
    "hand": {"hand", "wrist"},
    "thigh": {"thigh", "upleg", "upperleg", "femur", "legupper", "hip", "uprleg"},
    "shin": {"shin", "calf", "leg", "lowerleg", "knee", "tibia", "leglower", "lowleg", "crus"},
    "foot": {"foot", "ankle"},
    "toe": {"toe", "toes", "toebase", "ball", "toe0"},
}
_SIDED = {"shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe"}
_LEFT, _RIGHT = {"l", "left", "lft", "lf"}, {"r", "right", "rgt", "rt"}
# Words that make a bone something other than the body part it names.
_EXCLUDE = {
    "ik", "tweak", "parent", "pole", "target", "mch", "vis", "socket", "twist", "roll", "end",
    "top", "nub", "heel", "spin", "pivot", "prop", "weapon", "helper", "corrective", "tip",
    "index", "middle", "mid", "ring", "pinky", "thumb", "finger", "fingers", "palm", "metacarpal",
    "eye", "jaw", "teeth", "tongue", "lip", "brow", "lid", "ear", "nose", "cheek", "breast",
    "chin", "forehead", "temple", "face", "hair", "tail", "rot", "damp", "follow", "int",
    "str", "hose", "ctrlik", "lock", "offset", "aim", "upvec", "jiggle", "dummy",
}  # fmt: skip
_IGNORE = {
    "fk", "ctrl", "ctl", "jnt", "bone", "bn", "bind", "bip", "bip01", "sk", "c", "j", "b", "cc",
    "base", "bend",
}  # fmt: skip
_PENALTY = {"def": 2, "org": 3}


@dataclass
class BoneMap:
    """``bones``: role (one of :data:`ROLES`) → bone name in the target armature."""

    bones: dict[str, str] = field(default_factory=dict)

    def missing(self) -> list[str]:
        """Required roles with no bone."""
        return [r for r in REQUIRED if not self.bones.get(r)]

    def check(self, rig: RigDescription) -> None:
        """Raise :class:`RigMappingError` if a required role is empty or a bone is not in
        ``rig`` or one bone plays two roles."""
        problems = [f"{r}: no bone" for r in self.missing()]
        problems += [
            f"{r}: no bone {b!r} in the armature"
            for r, b in self.bones.items()
            if b and b not in rig.names
        ]
        used: dict[str, str] = {}
        for r, b in self.bones.items():
            if b and b in used:
                problems.append(f"{r}: bone {b!r} is already {used[b]}")
            used.setdefault(b, r)
        if problems:
            raise RigMappingError(
                f"Armature {rig.name!r} cannot be mapped to the body: "
                + "; ".join(problems)
                + ". Pick the bones in the Lift sidebar's Retarget panel or load a preset."
            )

    def to_json(self) -> str:
        bones = {r: self.bones[r] for r in ROLES if self.bones.get(r)}
        return json.dumps({"format_version": PRESET_FORMAT, "kind": "lift-bonemap",
                           "bones": bones}, indent=2)  # fmt: skip

    @classmethod
    def from_json(cls, text: str, source: str = "<string>") -> BoneMap:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise FileFormatError(f"{source}: not a JSON bone map preset ({err}).") from err
        if not isinstance(data, dict) or data.get("kind") != "lift-bonemap":
            raise FileFormatError(f"{source}: not a Lift bone map preset (kind 'lift-bonemap').")
        if data.get("format_version") != PRESET_FORMAT:
            raise FileFormatError(
                f"{source}: bone map format_version {data.get('format_version')!r} is not "
                f"{PRESET_FORMAT}; save the preset again with this version of Lift."
            )
        bones = data.get("bones", {})
        unknown = sorted(set(bones) - set(ROLES))
        if unknown or not all(isinstance(v, str) for v in bones.values()):
            raise FileFormatError(f"{source}: unknown roles or non-text bones: {unknown}.")
        return cls(dict(bones))

    def save(self, path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path) -> BoneMap:
        path = Path(path)
        if not path.is_file():
            raise FileFormatError(f"Bone map preset {str(path)!r} does not exist.")
        return cls.from_json(path.read_text(encoding="utf-8"), str(path))


def name_words(name: str) -> list[str]:
    """Lower-case words of a bone name: namespaces dropped, camelCase and digits split."""
    name = re.sub(r"^.*[:|]", "", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    name = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", name)
    words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    out = []
    for word in words:  # "lefthand" written without camel case
        rest = word
        for side in ("left", "right"):
            if rest.startswith(side) and len(rest) > len(side) and not rest[len(side)].isdigit():
                out.append(side)
                rest = rest[len(side) :]
        out.append(rest)
    return out


def classify(name: str) -> tuple[str | None, str | None, int]:
    """``(role base, side "L"/"R"/None, penalty)`` of a bone name; role None if it names no
    body part (or a helper such as an IK target, twist or finger bone)."""
    words = name_words(name)
    side = None
    kept, penalty = [], 0
    for w in words:
        if w in _LEFT or w in _RIGHT:
            side = "L" if w in _LEFT else "R"
        elif w in _EXCLUDE:
            return None, None, 0
        elif w in _PENALTY:
            penalty = max(penalty, _PENALTY[w])
        elif w in _IGNORE or w.isdigit():
            continue
        else:
            kept.append(w)
    joined = "".join(kept)
    if joined == "hip":  # "LeftHip" is a thigh, a lone "Hip" the hips
        return ("thigh" if side else "hips"), side, penalty
    for role, keys in _KEYWORDS.items():  # the whole name, then any one word of it
        if joined in keys:
            return _sided(role, side), side, penalty
    for role, keys in _KEYWORDS.items():
        if any(w in keys for w in kept):
            return _sided(role, side), side, penalty + 1
    return None, side, penalty


def _sided(role: str, side: str | None) -> str | None:
    """Root and hips have no side: a sided "pelvis.L" (Rigify metarig) is neither."""
    return None if role in ("hips", "root") and side is not None else role


def _candidates(rig: RigDescription) -> dict[str, list[tuple[int, int]]]:
    """Role → [(penalty, bone index)] from names; unnamed sides of limbs from x."""
    out: dict[str, list[tuple[int, int]]] = {}
    for i, name in enumerate(rig.names):
        base, side, penalty = classify(name)
        if base is None:
            continue
        if base in _SIDED:
            if side is None:
                x = rig.heads[i, 0]
                if abs(x) < 1e-4:
                    continue
                side = "L" if x > 0 else "R"
            role = f"{base}.{side}"
        else:
            role = base
        depth = len(rig.ancestors(i))
        out.setdefault(role, []).append((penalty, depth, i))
    return {r: [(p, i) for p, _, i in sorted(c)] for r, c in out.items()}


def _is_ancestor(rig: RigDescription, a: int, b: int) -> bool:
    return a in rig.ancestors(b)


def _lca(rig: RigDescription, a: int, b: int) -> int | None:
    chain_a = [a, *rig.ancestors(a)]
    for x in [b, *rig.ancestors(b)]:
        if x in chain_a:
            return x
    return None


def _pick(cands, accept=lambda i: True) -> int | None:
    """The best candidate (lowest penalty, then shallowest) that ``accept`` allows."""
    ok = [(p, i) for p, i in cands if accept(i)]
    return ok[0][1] if ok else None


def _follows(rig: RigDescription, prev: int, i: int) -> bool:
    """Bone ``i`` continues the limb after ``prev``: below it in the hierarchy, or (for rigs
    wired by constraints, like Rigify's controls) with its head on ``prev``'s tail."""
    if _is_ancestor(rig, prev, i):
        return True
    length = np.linalg.norm(rig.tails[prev] - rig.heads[prev])
    return bool(np.linalg.norm(rig.heads[i] - rig.tails[prev]) <= 0.25 * length)


def _map_limbs(rig, cands, found):
    for side in SIDES:
        for chain in LIMB_CHAINS:
            prev = None
            for part in chain:
                role = f"{part}.{side}"
                pick = _pick(
                    cands.get(role, []),
                    lambda i, prev=prev: prev is None or _follows(rig, prev, i),
                )
                if pick is not None:
                    found[role] = pick
                    prev = pick
        # a "shoulder" the upper arm does not follow is not this arm's clavicle
        sh, ua = found.get(f"shoulder.{side}"), found.get(f"upper_arm.{side}")
        if sh is not None and ua is not None and not _follows(rig, sh, ua):
            del found[f"shoulder.{side}"]


def _map_torso(rig, cands, found):
    thighs = [found.get(f"thigh.{s}") for s in SIDES]
    arms = [found.get(f"shoulder.{s}", found.get(f"upper_arm.{s}")) for s in SIDES]
    hips = _pick(cands.get("hips", []))
    if hips is None and None not in thighs:
        hips = _lca(rig, *thighs)
    if hips is not None:
        found["hips"] = hips
    arms_lca = _lca(rig, *arms) if None not in arms else None
    neck = _pick(cands.get("neck", []))
    head = _pick(cands.get("head", []), lambda i: neck is None or _is_ancestor(rig, neck, i))
    if arms_lca is not None and head is None:
        neck, head = _neck_and_head_from_hierarchy(rig, arms_lca, arms, neck)
    if head is not None and neck is None and arms_lca is not None:
        path = [a for a in rig.ancestors(head) if _is_ancestor(rig, arms_lca, a)]
        neck = path[-1] if path else None
    for role, bone in (("neck", neck), ("head", head)):
        if bone is not None:
            found[role] = bone
    _map_spine(rig, cands, found, arms_lca)
    root = _pick(  # above the hips, or a top-level bone they follow by constraints (Rigify)
        cands.get("root", []),
        lambda i: hips is not None and (_is_ancestor(rig, i, hips) or rig.parents[i] < 0),
    )
    if root is not None:
        found["root"] = root


def _neck_and_head_from_hierarchy(rig, arms_lca, arms, neck):
    """Neck and head above the bone where the arms meet: the child not leading to an arm,
    then down its chain of same-named bones (Rigify metarig ``spine.004`` … ``spine.006``)."""
    if neck is None:
        children = [
            c
            for c in rig.children()[arms_lca]
            if not any(a is not None and (a == c or _is_ancestor(rig, c, a)) for a in arms)
        ]
        if not children:
            return None, None
        up = rig.heads[arms_lca] - rig.heads[rig.parents[arms_lca]] if rig.parents[arms_lca] >= 0 \
            else np.array([0.0, 0.0, 1.0])  # fmt: skip
        neck = max(children, key=lambda c: float(np.dot(rig.tails[c] - rig.heads[c], up)))
    base = classify(rig.names[neck])[0] or rig.names[neck].rstrip(".0123456789")
    head, kids = neck, rig.children()
    while True:
        same = [c for c in kids[head] if (classify(rig.names[c])[0] or "") == base]
        if not same:
            break
        head = same[0]
    if head == neck:
        return None, neck
    return neck, head


def _map_spine(rig, cands, found, arms_lca):
    hips = found.get("hips")
    top = found.get("neck", found.get("head"))
    chest = _pick(cands.get("chest", []))
    path = []
    if hips is not None and top is not None and _is_ancestor(rig, hips, top):
        path = [a for a in rig.ancestors(top) if _is_ancestor(rig, hips, a)][::-1]
    elif hips is not None and arms_lca is not None and _is_ancestor(rig, hips, arms_lca):
        path = [arms_lca] + [a for a in rig.ancestors(arms_lca) if _is_ancestor(rig, hips, a)]
        path = path[::-1]
    if chest is None and path:
        chest = _chest_from_heights(rig, found, path)
    if chest is not None:
        found["chest"] = chest
    spine = path[0] if path and path[0] != chest else None
    if spine is not None:
        found["spine"] = spine


def _chest_from_heights(rig, found, path):
    """The path bone whose head is nearest the torso's middle (pelvis to neck base)."""
    if len(path) == 1:
        return path[0]
    thighs = [found.get(f"thigh.{s}") for s in SIDES]
    bottom = rig.heads[thighs].mean(axis=0) if None not in thighs else rig.heads[found["hips"]]
    top_bone = found.get("neck", found.get("head"))
    top = rig.heads[top_bone] if top_bone is not None else rig.tails[path[-1]]
    up = top - bottom
    middle = 0.5 * float(np.dot(up, up))
    heights = [abs(float(np.dot(rig.heads[b] - bottom, up)) - middle) for b in path[1:]]
    return path[1 + int(np.argmin(heights))]


def auto_map(rig: RigDescription, strict: bool = True) -> BoneMap:
    """The bone map of ``rig`` found from names, hierarchy and geometry.

    With ``strict`` a rig missing any of :data:`REQUIRED` raises :class:`RigMappingError`
    naming the roles it could not map; otherwise the partial map is returned (for editing).
    """
    cands = _candidates(rig)
    found: dict[str, int] = {}
    _map_limbs(rig, cands, found)
    _map_torso(rig, cands, found)
    bonemap = BoneMap({r: rig.names[found[r]] for r in ROLES if r in found})
    if strict:
        bonemap.check(rig)
    return bonemap
