"""Humanoid armatures of several naming and rest-pose conventions, built for tests.

Each style is a list of bones ``(name, parent, head point, tail point, roll)`` over named
points of a body in a rest pose; :func:`rest_points` makes those points from lift-layout rest
joints (T-pose, facing -Y, left on +X, Z up), optionally with the arms lowered into an A-pose.
:func:`description` turns a style into a :class:`RigDescription`; tests/scene builds the same
bones in Blender.
"""

from __future__ import annotations

import numpy as np

from lifting.retarget.rest import bone_matrix
from lifting.retarget.rigdesc import RigDescription
from lifting.skeleton import JOINT_INDEX as J


def rest_points(lift_rest: np.ndarray, arm_drop_deg: float = 0.0) -> dict[str, np.ndarray]:
    """Named points (metres) of a body whose lift joints at rest are ``lift_rest (21, 3)``.

    ``arm_drop_deg`` lowers both arms about the shoulders (45 gives an A-pose).
    """
    p = {name: np.asarray(lift_rest[i], dtype=np.float64) for name, i in J.items()}
    out = dict(p)
    out["lower_mid"] = 0.5 * (p["pelvis"] + p["spine"])
    out["upper_mid"] = 0.5 * (p["spine"] + p["thorax"])
    out["neck_mid"] = 0.5 * (p["thorax"] + p["neck"])
    out["head_end"] = p["head"] + np.array([0.0, 0.0, 0.05])
    out["origin"] = np.array([0.0, 0.0, 0.0])
    out["origin_up"] = np.array([0.0, 0.0, 0.2])
    for s, sign in (("l", 1.0), ("r", -1.0)):
        out[f"{s}_toe_end"] = p[f"{s}_toe"] + np.array([0.0, -0.06, -0.01])
        out[f"{s}_heel"] = p[f"{s}_ankle"] * np.array([1, 1, 0]) + np.array([0.0, 0.05, 0.0])
        out[f"{s}_hand_end"] = p[f"{s}_hand"] + np.array([sign * 0.04, 0.0, 0.0])
        out[f"{s}_clav"] = p["thorax"] + np.array([sign * 0.02, -0.03, 0.0])
        out[f"{s}_elbow_mid"] = 0.5 * (p[f"{s}_shoulder"] + p[f"{s}_elbow"])
        out[f"{s}_wrist_mid"] = 0.5 * (p[f"{s}_elbow"] + p[f"{s}_wrist"])
        out[f"{s}_knee_mid"] = 0.5 * (p[f"{s}_hip"] + p[f"{s}_knee"])
        out[f"{s}_metatarsal"] = 0.5 * (p[f"{s}_ankle"] + p[f"{s}_toe"])
        out[f"{s}_pelvis_low"] = 0.5 * (p["pelvis"] + p[f"{s}_hip"])
        out[f"{s}_breast"] = p["upper_mid"] if "upper_mid" in p else out["upper_mid"]
        out[f"{s}_breast"] = out["upper_mid"] + np.array([sign * 0.1, -0.1, 0.0])
        out[f"{s}_breast_tip"] = out[f"{s}_breast"] + np.array([0.0, -0.08, 0.0])
        if arm_drop_deg:
            a = np.radians(arm_drop_deg) * sign
            rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
            pivot = p[f"{s}_shoulder"]
            for k in ("elbow", "wrist", "hand", "hand_end", "elbow_mid", "wrist_mid"):
                key = f"{s}_{k}"
                out[key] = pivot + rot @ (out[key] - pivot)
    return out


def _sided(template, side):
    """Expand ``{S}``/``{s}``/``{Side}`` in a bone template for side "L" or "R"."""
    names = {"S": side, "s": side.lower(), "Side": "Left" if side == "L" else "Right"}
    return [
        (
            n.format(**names),
            None if par is None else par.format(**names),
            h.format(s=side.lower()),
            t.format(s=side.lower()),
            roll,
        )
        for n, par, h, t, roll in template
    ]


def _both(template):
    return _sided(template, "L") + _sided(template, "R")


MIXAMO = [
    ("mixamorig:Hips", None, "pelvis", "lower_mid", 0.0),
    ("mixamorig:Spine", "mixamorig:Hips", "lower_mid", "spine", 0.0),
    ("mixamorig:Spine1", "mixamorig:Spine", "spine", "upper_mid", 0.0),
    ("mixamorig:Spine2", "mixamorig:Spine1", "upper_mid", "thorax", 0.0),
    ("mixamorig:Neck", "mixamorig:Spine2", "thorax", "neck", 0.0),
    ("mixamorig:Head", "mixamorig:Neck", "neck", "head", 0.0),
    ("mixamorig:HeadTop_End", "mixamorig:Head", "head", "head_end", 0.0),
    *_both(
        [
            ("mixamorig:{Side}Shoulder", "mixamorig:Spine2", "{s}_clav", "{s}_shoulder", 0.3),
            ("mixamorig:{Side}Arm", "mixamorig:{Side}Shoulder", "{s}_shoulder", "{s}_elbow", 1.2),
            ("mixamorig:{Side}ForeArm", "mixamorig:{Side}Arm", "{s}_elbow", "{s}_wrist", 1.2),
            ("mixamorig:{Side}Hand", "mixamorig:{Side}ForeArm", "{s}_wrist", "{s}_hand", 0.9),
            ("mixamorig:{Side}HandIndex1", "mixamorig:{Side}Hand", "{s}_hand", "{s}_hand_end", 0),
            ("mixamorig:{Side}UpLeg", "mixamorig:Hips", "{s}_hip", "{s}_knee", 3.0),
            ("mixamorig:{Side}Leg", "mixamorig:{Side}UpLeg", "{s}_knee", "{s}_ankle", 3.0),
            ("mixamorig:{Side}Foot", "mixamorig:{Side}Leg", "{s}_ankle", "{s}_toe", 2.0),
            ("mixamorig:{Side}ToeBase", "mixamorig:{Side}Foot", "{s}_toe", "{s}_toe_end", 0.0),
            ("mixamorig:{Side}Toe_End", "mixamorig:{Side}ToeBase", "{s}_toe_end", "{s}_heel", 0.0),
        ]
    ),
]

UNREAL = [
    ("root", None, "origin", "origin_up", 0.0),
    ("pelvis", "root", "pelvis", "lower_mid", -1.57),
    ("spine_01", "pelvis", "lower_mid", "spine", -1.57),
    ("spine_02", "spine_01", "spine", "upper_mid", -1.57),
    ("spine_03", "spine_02", "upper_mid", "thorax", -1.57),
    ("neck_01", "spine_03", "thorax", "neck", -1.57),
    ("head", "neck_01", "neck", "head", -1.57),
    ("ik_foot_root", "root", "origin", "origin_up", 0.0),
    *_both(
        [
            ("clavicle_{s}", "spine_03", "{s}_clav", "{s}_shoulder", 0.5),
            ("upperarm_{s}", "clavicle_{s}", "{s}_shoulder", "{s}_elbow", -0.7),
            ("upperarm_twist_01_{s}", "upperarm_{s}", "{s}_elbow_mid", "{s}_elbow", -0.7),
            ("lowerarm_{s}", "upperarm_{s}", "{s}_elbow", "{s}_wrist", -0.7),
            ("hand_{s}", "lowerarm_{s}", "{s}_wrist", "{s}_hand", 0.2),
            ("thigh_{s}", "pelvis", "{s}_hip", "{s}_knee", 1.0),
            ("calf_{s}", "thigh_{s}", "{s}_knee", "{s}_ankle", 1.0),
            ("foot_{s}", "calf_{s}", "{s}_ankle", "{s}_toe", -2.5),
            ("ball_{s}", "foot_{s}", "{s}_toe", "{s}_toe_end", 0.0),
            ("ik_foot_{s}", "ik_foot_root", "{s}_ankle", "{s}_toe", 0.0),
        ]
    ),
]

METARIG = [
    ("spine", None, "pelvis", "lower_mid", 0.0),
    ("spine.001", "spine", "lower_mid", "spine", 0.0),
    ("spine.002", "spine.001", "spine", "upper_mid", 0.0),
    ("spine.003", "spine.002", "upper_mid", "thorax", 0.0),
    ("spine.004", "spine.003", "thorax", "neck_mid", 0.0),
    ("spine.005", "spine.004", "neck_mid", "neck", 0.0),
    ("spine.006", "spine.005", "neck", "head", 0.0),
    *_both(
        [
            ("breast.{S}", "spine.003", "{s}_breast", "{s}_breast_tip", 0.0),
            ("pelvis.{S}", "spine", "pelvis", "{s}_hip", 0.0),
            ("shoulder.{S}", "spine.003", "{s}_clav", "{s}_shoulder", 0.0),
            ("upper_arm.{S}", "shoulder.{S}", "{s}_shoulder", "{s}_elbow", 0.0),
            ("forearm.{S}", "upper_arm.{S}", "{s}_elbow", "{s}_wrist", 0.0),
            ("hand.{S}", "forearm.{S}", "{s}_wrist", "{s}_hand", 0.0),
            ("thigh.{S}", "spine", "{s}_hip", "{s}_knee", 0.0),
            ("shin.{S}", "thigh.{S}", "{s}_knee", "{s}_ankle", 0.0),
            ("foot.{S}", "shin.{S}", "{s}_ankle", "{s}_toe", 0.0),
            ("toe.{S}", "foot.{S}", "{s}_toe", "{s}_toe_end", 0.0),
            ("heel.02.{S}", "foot.{S}", "{s}_heel", "{s}_ankle", 0.0),
        ]
    ),
]

# An odd custom rig: mixed conventions, a control bone on top, a single spine bone, no
# toes, unusual rolls and an extra bone between the hips and the legs.
CUSTOM = [
    ("MASTER_ctrl", None, "origin", "origin_up", 0.4),
    ("Hip", "MASTER_ctrl", "pelvis", "spine", 2.0),
    ("Torso_Upper", "Hip", "spine", "thorax", -2.0),
    ("NeckBone", "Torso_Upper", "thorax", "neck", 1.0),
    ("HEAD", "NeckBone", "neck", "head", 0.7),
    ("legs_socket", "Hip", "pelvis", "lower_mid", 0.0),
    ("Collar_Left", "Torso_Upper", "l_clav", "l_shoulder", 1.0),
    ("UpperArm_Left", "Collar_Left", "l_shoulder", "l_elbow", 2.5),
    ("Forearm_Left", "UpperArm_Left", "l_elbow", "l_wrist", -2.5),
    ("Wrist-L", "Forearm_Left", "l_wrist", "l_hand", 0.1),
    ("Collar_Right", "Torso_Upper", "r_clav", "r_shoulder", -1.0),
    ("UpperArm_Right", "Collar_Right", "r_shoulder", "r_elbow", 0.5),
    ("Forearm_Right", "UpperArm_Right", "r_elbow", "r_wrist", 1.5),
    ("Wrist-R", "Forearm_Right", "r_wrist", "r_hand", 0.1),
    ("L_Thigh", "legs_socket", "l_hip", "l_knee", -0.3),
    ("L_Shin", "L_Thigh", "l_knee", "l_ankle", 0.8),
    ("L_Foot", "L_Shin", "l_ankle", "l_toe", 1.1),
    ("R_UpperLeg", "legs_socket", "r_hip", "r_knee", 0.3),
    ("R_Calf", "R_UpperLeg", "r_knee", "r_ankle", -0.8),
    ("R_Foot", "R_Calf", "r_ankle", "r_toe", -1.1),
]

# DAZ Genesis style: camelCase, l/r prefixes, bend/twist pairs, two-bone abdomen and chest.
DAZ = [
    ("hip", None, "pelvis", "lower_mid", 0.0),
    ("pelvis", "hip", "pelvis", "l_pelvis_low", 0.0),
    ("abdomenLower", "hip", "lower_mid", "spine", 0.0),
    ("abdomenUpper", "abdomenLower", "spine", "upper_mid", 0.0),
    ("chestLower", "abdomenUpper", "upper_mid", "thorax", 0.0),
    ("chestUpper", "chestLower", "thorax", "neck_mid", 0.0),
    ("neckLower", "chestUpper", "thorax", "neck_mid", 0.0),
    ("neckUpper", "neckLower", "neck_mid", "neck", 0.0),
    ("head", "neckUpper", "neck", "head", 0.0),
    *_both(
        [
            ("{s}Collar", "chestUpper", "{s}_clav", "{s}_shoulder", 0.0),
            ("{s}ShldrBend", "{s}Collar", "{s}_shoulder", "{s}_elbow_mid", 0.0),
            ("{s}ShldrTwist", "{s}ShldrBend", "{s}_elbow_mid", "{s}_elbow", 0.0),
            ("{s}ForearmBend", "{s}ShldrTwist", "{s}_elbow", "{s}_wrist_mid", 0.0),
            ("{s}ForearmTwist", "{s}ForearmBend", "{s}_wrist_mid", "{s}_wrist", 0.0),
            ("{s}Hand", "{s}ForearmTwist", "{s}_wrist", "{s}_hand", 0.0),
            ("{s}ThighBend", "pelvis", "{s}_hip", "{s}_knee_mid", 0.0),
            ("{s}ThighTwist", "{s}ThighBend", "{s}_knee_mid", "{s}_knee", 0.0),
            ("{s}Shin", "{s}ThighTwist", "{s}_knee", "{s}_ankle", 0.0),
            ("{s}Foot", "{s}Shin", "{s}_ankle", "{s}_metatarsal", 0.0),
            ("{s}Metatarsals", "{s}Foot", "{s}_metatarsal", "{s}_toe", 0.0),
            ("{s}Toe", "{s}Metatarsals", "{s}_toe", "{s}_toe_end", 0.0),
        ]
    ),
]

EXPECTED = {
    "mixamo": {
        "hips": "mixamorig:Hips",
        "spine": "mixamorig:Spine",
        "chest": "mixamorig:Spine1",
        "neck": "mixamorig:Neck",
        "head": "mixamorig:Head",
        **{
            f"{role}.{s}": f"mixamorig:{side}{name}"
            for s, side in (("L", "Left"), ("R", "Right"))
            for role, name in (
                ("shoulder", "Shoulder"),
                ("upper_arm", "Arm"),
                ("forearm", "ForeArm"),
                ("hand", "Hand"),
                ("thigh", "UpLeg"),
                ("shin", "Leg"),
                ("foot", "Foot"),
                ("toe", "ToeBase"),
            )
        },
    },
    "unreal": {
        "root": "root",
        "hips": "pelvis",
        "spine": "spine_01",
        "chest": "spine_02",
        "neck": "neck_01",
        "head": "head",
        **{
            f"{role}.{s.upper()}": f"{name}_{s}"
            for s in "lr"
            for role, name in (
                ("shoulder", "clavicle"),
                ("upper_arm", "upperarm"),
                ("forearm", "lowerarm"),
                ("hand", "hand"),
                ("thigh", "thigh"),
                ("shin", "calf"),
                ("foot", "foot"),
                ("toe", "ball"),
            )
        },
    },
    "metarig": {
        "hips": "spine",
        "spine": "spine.001",
        "chest": "spine.002",
        "neck": "spine.004",
        "head": "spine.006",
        **{
            f"{role}.{s}": f"{role}.{s}"
            for s in "LR"
            for role in ("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe")
        },
    },
    "custom": {
        "root": "MASTER_ctrl",
        "hips": "Hip",
        "chest": "Torso_Upper",
        "neck": "NeckBone",
        "head": "HEAD",
        "shoulder.L": "Collar_Left",
        "shoulder.R": "Collar_Right",
        "upper_arm.L": "UpperArm_Left",
        "forearm.L": "Forearm_Left",
        "hand.L": "Wrist-L",
        "upper_arm.R": "UpperArm_Right",
        "forearm.R": "Forearm_Right",
        "hand.R": "Wrist-R",
        "thigh.L": "L_Thigh",
        "shin.L": "L_Shin",
        "foot.L": "L_Foot",
        "thigh.R": "R_UpperLeg",
        "shin.R": "R_Calf",
        "foot.R": "R_Foot",
    },
}
EXPECTED["daz"] = {
    "hips": "hip",
    "spine": "abdomenLower",
    "chest": "chestLower",
    "neck": "neckLower",
    "head": "head",
    **{
        f"{role}.{s.upper()}": f"{s}{name}"
        for s in "lr"
        for role, name in (
            ("shoulder", "Collar"),
            ("upper_arm", "ShldrBend"),
            ("forearm", "ForearmBend"),
            ("hand", "Hand"),
            ("thigh", "ThighBend"),
            ("shin", "Shin"),
            ("foot", "Foot"),
            ("toe", "Toe"),
        )
    },
}
STYLES = {"mixamo": MIXAMO, "unreal": UNREAL, "metarig": METARIG, "custom": CUSTOM, "daz": DAZ}


def default_lift_rest() -> np.ndarray:
    """Lift rest joints (21, 3) of an average adult (1.75 m), T-pose, feet on Z = 0."""
    from lifting.retarget.lift_rig import rest_joints

    lengths = {
        ("pelvis", "l_hip"): 0.1,
        ("l_hip", "l_knee"): 0.44,
        ("l_knee", "l_ankle"): 0.42,
        ("l_ankle", "l_toe"): 0.15,
        ("thorax", "l_shoulder"): 0.17,
        ("l_shoulder", "l_elbow"): 0.29,
        ("l_elbow", "l_wrist"): 0.26,
        ("l_wrist", "l_hand"): 0.09,
        ("pelvis", "spine"): 0.24,
        ("spine", "thorax"): 0.26,
        ("thorax", "neck"): 0.12,
        ("neck", "head"): 0.2,
    }
    for a, b in list(lengths):
        if a.startswith("l_") or b.startswith("l_"):
            lengths[(a.replace("l_", "r_"), b.replace("l_", "r_"))] = lengths[(a, b)]
    return rest_joints(lengths, ankle_height=0.08)


def description(style, points, name="Armature", object_matrix=None) -> RigDescription:
    """A :class:`RigDescription` of ``style`` (a bone list) placed on ``points``."""
    names = [b[0] for b in style]
    parents = [names.index(b[1]) if b[1] else -1 for b in style]
    heads = np.array([points[b[2]] for b in style])
    tails = np.array([points[b[3]] for b in style])
    rolls = np.array([b[4] for b in style], dtype=np.float64)
    return RigDescription(
        names=tuple(names),
        parents=np.array(parents),
        heads=heads,
        tails=tails,
        matrices=bone_matrix(heads, tails, rolls),
        object_matrix=np.eye(4) if object_matrix is None else object_matrix,
        name=name,
    )


def build_armature(style, points, name, location=(0.0, 0.0, 0.0)):
    """A Blender armature object with ``style``'s bones on ``points`` (needs the bpy module)."""
    import bpy
    from mathutils import Vector

    arm = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, arm)
    bpy.context.scene.collection.objects.link(obj)
    obj.location = location
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for bone, _parent, head, tail, roll in style:
        eb = arm.edit_bones.new(bone)
        eb.head, eb.tail, eb.roll = Vector(points[head]), Vector(points[tail]), roll
    for bone, parent, *_ in style:
        if parent:
            arm.edit_bones[bone].parent = arm.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj
