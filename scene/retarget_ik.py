# SPDX-License-Identifier: GPL-3.0-or-later
"""Key a generated Rigify rig's own leg IK controls from its retargeted FK legs.

The retarget keys Rigify's FK controls (``thigh_fk.L`` …), feet already locked during contacts.
For animators the feet are better on the rig's IK: per frame, with the FK pose evaluated,

- ``foot_ik.L`` is placed so that the IK chain's foot (``MCH-thigh_ik_target.L``, which
  ``ORG-foot.L`` copies in IK) lands on the FK foot: ``M_fk @ rest_targetˉ¹ @ rest_foot_ik``;
- the knee pole ``thigh_ik_target.L`` sits in the FK leg's plane (hip, knee, ankle), in front
  of the knee at its rest distance, and the limb is switched to pole mode (``pole_vector`` on),
  so the IK knee bends in the FK knee's plane;
- ``toe_ik.L`` takes the FK toe's orientation; the foot roll controls (``foot_heel_ik.L``,
  ``foot_spin_ik.L``) are put to rest (not keyed);

then those controls are keyed on every frame (location and quaternion, armature units) and the
leg is switched to IK (``IK_FK`` = 0 on ``thigh_parent.L``). The action also keys ``ik_stretch``
= 0 on the IK chain's bones (Rigify gives them 0.1): with it, Blender's IK solver shortens a bent
leg by up to 4 % instead of bending it further, putting the knee 1–4 cm off the FK knee; the
retargeted legs never need to stretch. The rig's own setting is untouched (only this action
keys it; delete those curves to stretch the legs again). A leg whose bones do not follow
Rigify's naming is left on FK. ``verify_legs`` measures how far the IK feet land from the FK
feet, so a rig that does not behave like a Rigify limb can be switched back to FK.
"""

from dataclasses import dataclass

import numpy as np

from ..lifting.retarget.rotations import make_continuous
from .keyframes import pose_plan

IK_SWITCH = "IK_FK"  # 0: IK, 1: FK (Rigify's limb property on thigh_parent)
POLE_SWITCH = "pole_vector"  # True: the knee aims at the pole control


@dataclass(frozen=True)
class RigifyLeg:
    """Bone names of one Rigify leg: its FK controls (mapped by the retarget), its IK
    controls, the property bone carrying the switches, and the IK chain's foot."""

    thigh_fk: str
    shin_fk: str
    foot_fk: str
    toe_fk: str | None
    foot_ik: str
    pole: str
    toe_ik: str | None
    switches: str
    ik_foot: str  # what ORG-foot copies in IK (MCH-thigh_ik_target.L), or foot_ik itself
    checks: tuple  # ((evaluated bone, FK bone), ...): ORG-shin/ORG-foot, which DEF bones follow
    chain: tuple  # the bones Blender's IK solver moves (thigh_ik.L, MCH-shin_ik.L)


def rigify_legs(obj, bones: dict) -> list[RigifyLeg]:
    """The legs of armature ``obj`` with Rigify IK controls, from the retarget's bone map
    ``bones`` (role → bone name; Rigify's FK controls end in ``_fk``)."""
    pose = obj.pose.bones
    legs = []
    for side in "LR":
        thigh, shin, foot = (bones.get(f"{r}.{side}", "") for r in ("thigh", "shin", "foot"))
        toe = bones.get(f"toe.{side}") or None
        if not all("_fk" in n for n in (thigh, shin, foot)):
            continue
        pole = thigh.replace("_fk", "_ik_target")
        leg = RigifyLeg(
            thigh_fk=thigh,
            shin_fk=shin,
            foot_fk=foot,
            toe_fk=toe if toe and "_fk" in toe else None,
            foot_ik=foot.replace("_fk", "_ik"),
            pole=pole,
            toe_ik=toe.replace("_fk", "_ik") if toe and "_fk" in toe else None,
            switches=thigh.replace("_fk", "_parent"),
            ik_foot="MCH-" + pole if "MCH-" + pole in pose else foot.replace("_fk", "_ik"),
            chain=_ik_chain(obj, "MCH-" + pole if "MCH-" + pole in pose else ""),
            checks=tuple(
                (f"ORG-{n.replace('_fk', '')}", n)
                for n in (shin, foot)
                if f"ORG-{n.replace('_fk', '')}" in pose
            ),
        )
        names = [leg.foot_ik, leg.pole, leg.switches] + ([leg.toe_ik] if leg.toe_ik else [])
        if any(n not in pose for n in names):
            continue
        props = pose[leg.switches]
        if IK_SWITCH in props and POLE_SWITCH in props:
            legs.append(leg)
    return legs


def _ik_chain(obj, target: str) -> tuple:
    """Names of the bones an IK constraint aiming at bone ``target`` moves (owner first)."""
    for pose_bone in obj.pose.bones if target else ():
        for con in pose_bone.constraints:
            if con.type == "IK" and con.target == obj and con.subtarget == target:
                chain, bone = [], pose_bone
                while bone is not None and (con.chain_count == 0 or len(chain) < con.chain_count):
                    chain.append(bone.name)
                    bone = bone.parent
                return tuple(chain)
    return ()


def _rest(obj, name):
    return obj.data.bones[name].matrix_local


def _set_matrix(obj, name, matrix) -> None:
    """Pose bone ``name``'s channels so its armature-space matrix is ``matrix`` (parents as
    currently evaluated)."""
    pose_bone = obj.pose.bones[name]
    pose_bone.matrix_basis = obj.convert_space(
        pose_bone=pose_bone, matrix=matrix, from_space="POSE", to_space="LOCAL"
    )


def _leg_targets(obj, leg):
    """Armature-space matrices for the foot IK control and the pole from the evaluated FK."""
    from mathutils import Matrix

    pose = obj.pose.bones
    foot = pose[leg.foot_fk].matrix @ _rest(obj, leg.ik_foot).inverted() @ _rest(obj, leg.foot_ik)
    bones = obj.data.bones
    rest_offset = bones[leg.pole].head_local - bones[leg.shin_fk].head_local
    hip, knee, ankle = pose[leg.thigh_fk].head, pose[leg.shin_fk].head, pose[leg.foot_fk].head
    axis = (ankle - hip).normalized()
    bend = (knee - hip) - axis * (knee - hip).dot(axis)  # the knee away from hip→ankle
    if bend.length > 1e-3 * (knee - hip).length:
        direction = bend.normalized()
    else:  # a straight leg: the thigh carries the pole's rest direction
        thigh = pose[leg.thigh_fk].matrix.to_3x3() @ _rest(obj, leg.thigh_fk).to_3x3().inverted()
        direction = (thigh @ rest_offset).normalized()
    where = knee + direction * rest_offset.length
    pole = Matrix.Translation(where) @ _rest(obj, leg.pole).to_3x3().to_4x4()
    return foot, pole


def _set_toe(obj, leg, parent) -> None:
    """``toe_ik``'s channels so it takes the FK toe's pose, its parent's matrix (armature
    space) being ``parent``: ``basis = restᵀ @ rest_parent @ parentˉ¹ @ wanted``."""
    pose = obj.pose.bones
    want = pose[leg.toe_fk].matrix @ _rest(obj, leg.toe_fk).inverted() @ _rest(obj, leg.toe_ik)
    parent_rest = obj.data.bones[leg.toe_ik].parent.matrix_local
    basis = _rest(obj, leg.toe_ik).inverted() @ parent_rest @ parent.inverted() @ want
    pose[leg.toe_ik].matrix_basis = basis


def key_leg_ik(context, obj, legs: list[RigifyLeg], frames: np.ndarray) -> dict:
    """Place and key the IK controls of ``legs`` on every scene frame of ``frames (T,)`` from
    the FK pose the current action gives, and switch the legs to IK with a pole.

    Returns a KeyframePlan (``pose_plan``) for the IK controls; the caller writes it into the
    retarget's action (which must not key them already). Leaves the scene on its frame.
    """
    scene = context.scene
    pose = obj.pose.bones
    controls = [n for leg in legs for n in (leg.foot_ik, leg.pole, leg.toe_ik) if n]
    rolls = [  # heel and spin controls under the foot control: at rest, the foot is rigid
        b.name
        for leg in legs
        for b in pose[leg.foot_ik].children_recursive
        if not b.name.startswith(("MCH-", "ORG-", "DEF-"))
    ]
    for name in controls:
        pose[name].rotation_mode = "QUATERNION"
    for name in controls + rolls:
        pose[name].location = (0.0, 0.0, 0.0)
        pose[name].scale = (1.0, 1.0, 1.0)
        pose[name].rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
        pose[name].rotation_euler = (0.0, 0.0, 0.0)
        pose[name].rotation_axis_angle = (0.0, 0.0, 1.0, 0.0)
    for leg in legs:
        pose[leg.switches][IK_SWITCH] = 1.0  # evaluate the FK legs
        pose[leg.switches][POLE_SWITCH] = True
    rotations = np.zeros((len(frames), len(controls), 4))
    locations = {n: np.zeros((len(frames), 3)) for n in controls}
    current = scene.frame_current, scene.frame_subframe
    toe_parent = {}  # foot control → toe control's parent, rigid while the foot roll rests
    for t, frame in enumerate(np.asarray(frames, dtype=np.float64)):
        whole = int(np.floor(frame))
        scene.frame_set(whole, subframe=float(frame - whole))  # one evaluation per frame
        for leg in legs:
            foot, pole = _leg_targets(obj, leg)
            _set_matrix(obj, leg.foot_ik, foot)
            _set_matrix(obj, leg.pole, pole)
            if leg.toe_ik and leg.toe_fk:
                if leg not in toe_parent:
                    context.view_layer.update()
                    parent = pose[leg.toe_ik].parent.matrix
                    toe_parent[leg] = pose[leg.foot_ik].matrix.inverted() @ parent
                _set_toe(obj, leg, foot @ toe_parent[leg])
        for k, name in enumerate(controls):
            rotations[t, k] = tuple(pose[name].rotation_quaternion)
            locations[name][t] = tuple(pose[name].location)
    scene.frame_set(current[0], subframe=current[1])
    for leg in legs:
        pose[leg.switches][IK_SWITCH] = 0.0
    plan = pose_plan(frames, controls, make_continuous(rotations), locations)
    for name in (n for leg in legs for n in leg.chain):  # no stretch: see the module doc
        plan[(f'pose.bones["{name}"].ik_stretch', 0)] = np.array([[frames[0], 0.0]])
    return plan


def verify_legs(context, obj, legs: list[RigifyLeg], frames: np.ndarray) -> float:
    """Largest distance (armature units) between the leg Blender evaluates on IK (``ORG-shin``
    and ``ORG-foot``, which the deforming bones follow) and the FK leg (heads and tails) on up
    to 8 of ``frames``."""
    scene = context.scene
    pose = obj.pose.bones
    current = scene.frame_current, scene.frame_subframe
    picks = np.unique(np.linspace(0, len(frames) - 1, min(8, len(frames))).round().astype(int))
    worst = 0.0
    for t in picks:
        frame = float(frames[t])
        scene.frame_set(int(np.floor(frame)), subframe=frame - np.floor(frame))
        for leg in legs:
            for ik_name, fk_name in leg.checks or ((leg.ik_foot, leg.foot_fk),):
                got, want = pose[ik_name], pose[fk_name]
                gap = max((got.head - want.head).length, (got.tail - want.tail).length)
                worst = max(worst, gap)
    scene.frame_set(current[0], subframe=current[1])
    return worst


# Unreal-mannequin IK bones (no constraints in Blender; game engines read them): bone → role
UNREAL_IK = (("ik_foot_{s}", "foot.{S}"), ("ik_hand_gun", "hand.R"), ("ik_hand_{s}", "hand.{S}"))


def unreal_ik_bones(obj, bones: dict) -> list[tuple[str, str]]:
    """``(IK bone, mapped bone it follows)`` for an Unreal-mannequin-style rig's ``ik_foot_l/r``,
    ``ik_hand_gun`` and ``ik_hand_l/r``, parents before children; [] for other rigs."""
    pose, pairs = obj.pose.bones, []
    for pattern, role in UNREAL_IK:
        for side in "lr":
            name, source = pattern.format(s=side), bones.get(role.format(S=side.upper()))
            usable = name in pose and source and not obj.data.bones[name].use_connect
            if usable and (name, source) not in pairs:
                pairs.append((name, source))
    return sorted(pairs, key=lambda p: len(obj.data.bones[p[0]].parent_recursive))


def key_followers(context, obj, pairs: list[tuple[str, str]], frames: np.ndarray) -> dict:
    """A KeyframePlan that keeps each bone of ``pairs`` on its mapped bone as the current action
    moves it (its rest offset to it kept), on every scene frame of ``frames (T,)``: one rig
    evaluation per frame. Channels: ``basis = restˉ¹ @ rest_parent @ parentˉ¹ @ wanted``."""
    scene, pose = context.scene, obj.pose.bones
    names = [ik for ik, _ in pairs]
    rotations = np.zeros((len(frames), len(names), 4))
    locations = {n: np.zeros((len(frames), 3)) for n in names}
    current = scene.frame_current, scene.frame_subframe
    for t, frame in enumerate(np.asarray(frames, dtype=np.float64)):
        scene.frame_set(int(np.floor(frame)), subframe=float(frame - np.floor(frame)))
        placed = {}
        for k, (ik, source) in enumerate(pairs):
            want = pose[source].matrix @ _rest(obj, source).inverted() @ _rest(obj, ik)
            placed[ik] = want
            parent = obj.data.bones[ik].parent
            basis = _rest(obj, ik).inverted()
            if parent is not None:
                parent_pose = placed.get(parent.name, pose[parent.name].matrix)
                basis = basis @ parent.matrix_local @ parent_pose.inverted()
            location, rotation, _ = (basis @ want).decompose()
            rotations[t, k], locations[ik][t] = tuple(rotation), tuple(location)
    scene.frame_set(current[0], subframe=current[1])
    for name in names:
        pose[name].rotation_mode = "QUATERNION"
    return pose_plan(frames, names, make_continuous(rotations), locations)
