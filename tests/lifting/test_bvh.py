"""The BVH reader: parsing, channel orders, position channels, end sites, units, errors."""

import gzip

import numpy as np
import pytest

from lifting.errors import BVHParseError
from lifting.mocap.bvh import (
    detect_units,
    euler_matrices,
    forward_kinematics,
    load_bvh,
    parse_bvh,
)

CHAIN = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Chest
  {
    OFFSET 0 {len} 0
    CHANNELS 3 {order}
    JOINT Hand
    {
      OFFSET {len} 0 0
      CHANNELS 6 Xposition Yposition Zposition Xrotation Yrotation Zrotation
      End Site
      {
        OFFSET 0 0 {len}
      }
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.5
"""


def chain(order="Zrotation Xrotation Yrotation", length=10.0, rows=None):
    rows = rows or [
        "1 2 3 0 0 0 0 0 0 10 0 0 0 0 0",
        "1 2 3 90 0 0 0 0 90 10 0 0 0 0 0",
    ]
    return CHAIN.replace("{len}", str(length)).replace("{order}", order) + "\n".join(rows) + "\n"


def test_parses_names_parents_channels_and_end_sites():
    bvh = parse_bvh(chain())
    assert bvh.names == ["Hips", "Chest", "Hand", "Hand_End"]
    assert bvh.parents.tolist() == [-1, 0, 1, 2]
    assert bvh.is_end_site.tolist() == [False, False, False, True]
    assert bvh.channels[1] == ("Zrotation", "Xrotation", "Yrotation")
    assert bvh.channels[3] == ()
    assert bvh.motion.shape == (2, 15)
    assert bvh.frame_time == 0.5 and bvh.fps == 2.0


def test_forward_kinematics_positions_and_rotation_order():
    pos = forward_kinematics(parse_bvh(chain()))
    # frame 0: rest pose translated by the root position (1, 2, 3)
    np.testing.assert_allclose(pos[0, 0], [1, 2, 3])
    np.testing.assert_allclose(pos[0, 1], [1, 12, 3])
    np.testing.assert_allclose(pos[0, 2], [11, 12, 3])  # Hand position channel = (10, 0, 0)
    np.testing.assert_allclose(pos[0, 3], [11, 12, 13])
    # frame 1: root turned 90° about Z (x→y), Chest turned 90° about Y (z→x) after it
    np.testing.assert_allclose(pos[1, 1], [-9, 2, 3], atol=1e-9)
    # Chest global = Rz(90) Ry(90): local x (0,0,-1 after Ry) ; Hand at chest + R (10,0,0)
    np.testing.assert_allclose(pos[1, 2], [-9, 2, -7], atol=1e-9)


def test_channel_order_matters_and_matches_matrix_product():
    angles = np.array([[30.0, 40.0, 50.0]])
    zxy = euler_matrices(angles, "ZXY")[0]
    xyz = euler_matrices(angles[:, [1, 2, 0]], "XYZ")[0]
    assert not np.allclose(zxy, xyz)
    rz = euler_matrices(angles[:, :1], "Z")[0]
    rx = euler_matrices(angles[:, 1:2], "X")[0]
    ry = euler_matrices(angles[:, 2:], "Y")[0]
    np.testing.assert_allclose(zxy, rz @ rx @ ry)
    np.testing.assert_allclose(zxy @ zxy.T, np.eye(3), atol=1e-12)


def test_position_mode_add_adds_the_offset():
    text = chain().replace("ROOT Hips\n{\n  OFFSET 0 0 0", "ROOT Hips\n{\n  OFFSET 0 100 0")
    bvh = parse_bvh(text)
    np.testing.assert_allclose(forward_kinematics(bvh)[0, 0], [1, 2, 3])
    np.testing.assert_allclose(forward_kinematics(bvh, position="add")[0, 0], [1, 102, 3])


def test_reads_gzip_and_plain_files_alike(tmp_path):
    plain = tmp_path / "a.bvh"
    plain.write_text(chain())
    packed = tmp_path / "a.bvh.gz"
    with gzip.open(packed, "wt") as fh:
        fh.write(chain())
    np.testing.assert_array_equal(load_bvh(plain).motion, load_bvh(packed).motion)


@pytest.mark.parametrize("length, unit", [(0.5, "m"), (20.0, "inch"), (50.0, "cm"), (500.0, "mm")])
def test_unit_detection_by_skeleton_size(length, unit):
    # the chain's leaf-to-leaf span is 2-3 bone lengths; a body-sized limb set
    body = BODY.replace("{s}", str(length))
    assert detect_units(parse_bvh(body))[0] == unit


BODY = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 3 Xposition Yposition Zposition
  JOINT Leg
  {
    OFFSET 0 -{s} 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Shin
    {
      OFFSET 0 -{s} 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 0 -0 0
      }
    }
  }
  JOINT Spine
  {
    OFFSET 0 {s} 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 {s} 0
    }
  }
}
MOTION
Frames: 1
Frame Time: 0.04
0 0 0 0 0 0 0 0 0 0 0 0
"""


def test_unit_detection_rejects_non_human_sizes():
    with pytest.raises(BVHParseError, match="unit"):
        detect_units(parse_bvh(BODY.replace("{s}", "0.01")))


@pytest.mark.parametrize(
    "edit, line, what",
    [
        (lambda t: t.replace("HIERARCHY", "HIERARCHX"), 1, "HIERARCHY"),
        (lambda t: t.replace("OFFSET 0 10.0 0", "OFFSET 0 ten 0"), 8, "not a number"),
        (lambda t: t.replace("CHANNELS 3 Z", "CHANNELS 4 Z"), 9, "CHANNELS says 4"),
        (
            lambda t: t.replace("Xrotation Yrotation Zrotation", "Xrotation Yrotation Wrot"),
            13,
            "Wrot",
        ),
        (lambda t: t.replace("Frames: 2", "Frames: two"), 22, "whole number"),
        (lambda t: t.replace("Frame Time: 0.5", "Frame Time: 0"), 23, "positive"),
        (lambda t: t.replace("1 2 3 90 0 0", "1 2 3 90 x 0"), 25, "not a number"),
        (lambda t: t.replace("1 2 3 90 0 0", "1 2 3 90 0"), 25, "hierarchy has 15"),
        (lambda t: t.replace("Frames: 2", "Frames: 3"), 25, "truncated"),
        (lambda t: t.split("MOTION")[0], 20, "end of file"),
        (lambda t: t.replace("      End Site\n      {\n", "      End Site\n"), 15, "'{'"),
    ],
)
def test_malformed_files_raise_with_file_and_line(tmp_path, edit, line, what):
    path = tmp_path / "bad.bvh"
    path.write_text(edit(chain()))
    with pytest.raises(BVHParseError) as err:
        load_bvh(path)
    message = str(err.value)
    assert str(path) in message
    assert f"line {line}:" in message
    assert what in message


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(BVHParseError, match="no such file"):
        load_bvh(tmp_path / "absent.bvh")
    bad = tmp_path / "bad.bvh.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(BVHParseError, match=r"bad\.bvh\.gz"):
        load_bvh(bad)


@pytest.mark.parametrize(
    "name, joints, channels, fps",
    [
        ("bandai/dataset-1_walk_normal_001.bvh.gz", 22 + 5, 132, 30),
        ("cmu/007_02.bvh.gz", 100, 303, 60),
        ("cmu/002_01.bvh.gz", 101, 306, 60),
    ],
)
def test_real_files_of_each_skeleton(mocap_dir, name, joints, channels, fps):
    bvh = load_bvh(mocap_dir / name)
    assert sum(not e for e in bvh.is_end_site) == joints - (5 if "bandai" in name else 0)
    assert bvh.motion.shape[1] == channels
    assert round(bvh.fps) == fps
    assert detect_units(bvh)[0] == "cm"
    pos = forward_kinematics(bvh, position="add" if "cmu" in name else "replace")
    assert np.isfinite(pos).all()
    # bones keep their rest length in every frame (joints without position channels)
    for j in range(1, len(bvh.names)):
        if not any(c.endswith("position") for c in bvh.channels[j]):
            length = np.linalg.norm(pos[:, j] - pos[:, bvh.parents[j]], axis=-1)
            np.testing.assert_allclose(length, np.linalg.norm(bvh.offsets[j]), atol=1e-6)
