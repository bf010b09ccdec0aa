"""Automatic bone mapping on Mixamo, Unreal-style, Rigify-metarig and custom armatures."""

import re

import numpy as np
import pytest
import rigs

from lifting.errors import FileFormatError, RigMappingError
from lifting.retarget.bonemap import REQUIRED, ROLES, BoneMap, auto_map, classify, name_words
from lifting.retarget.rigdesc import RigDescription


@pytest.fixture(scope="module")
def points():
    return rigs.rest_points(rigs.default_lift_rest())


@pytest.mark.parametrize("style", sorted(rigs.STYLES))
def test_auto_map_finds_every_role_of_each_convention(style, points):
    rig = rigs.description(rigs.STYLES[style], points, name=style)
    assert auto_map(rig).bones == rigs.EXPECTED[style]


@pytest.mark.parametrize("style", sorted(rigs.STYLES))
def test_auto_map_does_not_depend_on_bone_order_rest_pose_or_rolls(style, points):
    a_pose = rigs.rest_points(rigs.default_lift_rest(), arm_drop_deg=45)
    bones = list(rigs.STYLES[style])[::-1]
    bones = [(n, p, h, t, r + 0.7) for n, p, h, t, r in bones]
    rig = rigs.description(bones, a_pose)
    assert auto_map(rig).bones == rigs.EXPECTED[style]


def test_name_words_and_classify_cover_the_usual_spellings():
    assert name_words("mixamorig:LeftUpLeg") == ["left", "up", "leg"]
    assert name_words("Bip01 L Thigh") == ["bip", "01", "l", "thigh"]
    assert name_words("lefthand") == ["left", "hand"]
    cases = {
        "upper_arm_fk.L": ("upper_arm", "L", 0),
        "DEF-upper_arm.L": ("upper_arm", "L", 2),
        "ORG-thigh.R": ("thigh", "R", 3),
        "thigh_ik.L": (None, None, 0),
        "thigh_parent.L": (None, None, 0),
        "MCH-shin_fk.L": (None, None, 0),
        "upperarm_twist_01_l": (None, None, 0),
        "Bip01 L Calf": ("shin", "L", 0),
        "Leg-R": ("shin", "R", 0),
        "RightUpperLeg": ("thigh", "R", 0),
        "Hip_Left": ("thigh", "L", 0),
        "Hip": ("hips", None, 0),
        "pelvis.L": (None, "L", 0),
        "clavicle_r": ("shoulder", "R", 0),
        "mixamorig:HeadTop_End": (None, None, 0),
        "mixamorig:LeftHandIndex1": (None, None, 0),
        "Spine_Lower": ("spine", None, 1),
        "lowerarm_l": ("forearm", "L", 0),
        "L.ForeArm": ("forearm", "L", 0),
        # DAZ Genesis
        "lThighBend": ("thigh", "L", 0),
        "lShldrBend": ("upper_arm", "L", 0),
        "rForearmBend": ("forearm", "R", 0),
        "lThighTwist": (None, None, 0),
        "abdomenLower": ("spine", None, 1),
        # Character Creator / iClone
        "CC_Base_L_Thigh": ("thigh", "L", 0),
        "CC_Base_R_Calf": ("shin", "R", 0),
        "CC_Base_L_ToeBase": ("toe", "L", 0),
        "CC_Base_Hip": ("hips", None, 0),
        "CC_Base_BoneRoot": ("root", None, 0),
        "CC_Base_L_UpperarmTwist01": (None, None, 0),
    }
    for name, want in cases.items():
        assert classify(name) == want, name


def test_rigify_controls_win_over_deform_and_mechanism_bones(points):
    # A Rigify-like layer cake: DEF/ORG/MCH/IK/tweak bones beside the FK controls.
    meta = rigs.description(rigs.METARIG, points)
    names, parents, heads, tails, mats = [], [], [], [], []

    def add(name, parent, i):
        names.append(name)
        parents.append(names.index(parent) if parent else -1)
        heads.append(meta.heads[i])
        tails.append(meta.tails[i])
        mats.append(meta.matrices[i])

    add("root", None, 0)
    add("torso", "root", 0)
    add("hips", "torso", 0)
    add("chest", "torso", 2)
    add("neck", "chest", 4)
    add("head", "neck", 6)
    for s in "LR":
        add(f"MCH-thigh_parent.{s}", "hips", meta.index(f"thigh.{s}"))
        for part, parent in (("thigh", f"MCH-thigh_parent.{s}"), ("shin", None), ("foot", None)):
            i = meta.index(f"{part}.{s}")
            for kind in ("DEF-{}.{}", "ORG-{}.{}", "{}_ik.{}", "{}_tweak.{}", "{}_fk.{}"):
                bone = kind.format(part, s)
                par = parent if parent else kind.format({"shin": "thigh", "foot": "shin"}[part], s)
                add(bone, par if par in names else "hips", i)
        add(f"shoulder.{s}", "chest", meta.index(f"shoulder.{s}"))
        prev = f"shoulder.{s}"
        for part in ("upper_arm", "forearm", "hand"):
            i = meta.index(f"{part}.{s}")
            add(f"DEF-{part}.{s}", "root", i)
            add(f"{part}_ik.{s}", "root", i)
            add(f"{part}_fk.{s}", prev, i)
            prev = f"{part}_fk.{s}"
    rig = RigDescription(names, parents, heads, tails, mats, name="rig")
    got = auto_map(rig).bones
    assert got["hips"] == "hips" and got["chest"] == "chest" and "spine" not in got
    assert got["neck"] == "neck" and got["head"] == "head"
    for s in "LR":
        assert got[f"thigh.{s}"] == f"thigh_fk.{s}"
        assert got[f"shin.{s}"] == f"shin_fk.{s}"
        assert got[f"foot.{s}"] == f"foot_fk.{s}"
        assert got[f"upper_arm.{s}"] == f"upper_arm_fk.{s}"
        assert got[f"hand.{s}"] == f"hand_fk.{s}"


def test_unnamed_sides_come_from_geometry(points):
    def unsided(name):
        return re.sub(r"^[LR]_|_(Left|Right)$|-[LR]$", "", name) if name else name

    bones = [(unsided(n), unsided(p), *rest) for n, p, *rest in rigs.CUSTOM]
    # duplicate names are not allowed: number the right side like Blender would
    seen, renamed = set(), []
    for n, p, h, t, r in bones:
        name = n + ".001" if n in seen else n
        parent = p + ".001" if p and p + ".001" in seen else p
        seen.add(name)
        renamed.append((name, parent, h, t, r))
    rig = rigs.description(renamed, points)
    got = auto_map(rig).bones
    assert got["thigh.L"] == "Thigh" and got["thigh.R"] == "UpperLeg"
    assert got["upper_arm.L"] == "UpperArm" and got["upper_arm.R"] == "UpperArm.001"
    assert got["forearm.R"] == "Forearm.001"


def test_unmappable_rig_lists_what_is_missing(points):
    chain = [("Bone", None, "pelvis", "spine", 0.0), ("Bone.001", "Bone", "spine", "thorax", 0)]
    chain += [("tail", "Bone", "pelvis", "lower_mid", 0.0), ("Hand.L", "Bone.001", "l_wrist",
                                                           "l_hand", 0.0)]  # fmt: skip
    rig = rigs.description(chain, points, name="Snake")
    with pytest.raises(RigMappingError) as err:
        auto_map(rig)
    message = str(err.value)
    assert "Snake" in message and "thigh.L" in message and "head" in message
    assert "hand.L" not in message.split(":", 1)[1].replace("hand.L: ", "")
    partial = auto_map(rig, strict=False)
    assert partial.bones["hand.L"] == "Hand.L"
    assert set(partial.missing()) == set(REQUIRED) - {"hand.L"}


def test_a_map_naming_bones_the_rig_lacks_is_rejected(points):
    rig = rigs.description(rigs.MIXAMO, points, name="Mixamo")
    bonemap = auto_map(rig)
    bonemap.bones["head"] = "NoSuchBone"
    bonemap.bones["neck"] = bonemap.bones["chest"]
    with pytest.raises(RigMappingError, match="NoSuchBone"):
        bonemap.check(rig)


def test_preset_round_trip_and_bad_files(tmp_path, points):
    rig = rigs.description(rigs.UNREAL, points)
    bonemap = auto_map(rig)
    path = tmp_path / "unreal.json"
    bonemap.save(path)
    loaded = BoneMap.load(path)
    assert loaded.bones == bonemap.bones
    assert list(loaded.bones) == [r for r in ROLES if r in loaded.bones]
    loaded.check(rig)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FileFormatError, match=r"bad\.json"):
        BoneMap.load(tmp_path / "bad.json")
    (tmp_path / "old.json").write_text('{"kind": "lift-bonemap", "format_version": 99}')
    with pytest.raises(FileFormatError, match="format_version"):
        BoneMap.load(tmp_path / "old.json")
    with pytest.raises(FileFormatError, match="does not exist"):
        BoneMap.load(tmp_path / "missing.json")
    assert np.all([isinstance(v, str) for v in loaded.bones.values()])
