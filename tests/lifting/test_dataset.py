"""Loading mocap splits: resampling, actions, the disk cache, errors."""

import numpy as np
import pytest

from lifting.errors import MocapDataError
from lifting.mocap.dataset import load_split, resample, split_files

FEW = ["bandai/dataset-1_walk_happy_001.bvh.gz", "cmu/007_03.bvh.gz", "cmu/002_01.bvh.gz"]


def test_resample_decimates_integer_ratios_and_interpolates_others():
    x = np.arange(11, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(resample(x, 60, 30)[:, 0], [0, 2, 4, 6, 8, 10])
    np.testing.assert_array_equal(resample(x, 30, 30), x)
    y = resample(x, 30, 60)[:, 0]
    np.testing.assert_allclose(y, np.arange(21) / 2)
    z = resample(x, 50, 30)[:, 0]  # 10 frames at 50 fps = 0.2 s ... samples every 1/30 s
    np.testing.assert_allclose(z, np.arange(len(z)) * 50 / 30, atol=1e-5)
    assert z[-1] <= 10


def test_splits_are_disjoint_and_complete(mocap_dir):
    train, val = split_files("train", mocap_dir), split_files("val", mocap_dir)
    assert len(train) == 1282 and len(val) == 182
    assert not set(train) & set(val)


def test_load_few_files_with_cache(mocap_dir, tmp_path):
    clips = load_split("smoke", fps=30, mocap_dir=mocap_dir, cache_dir=tmp_path, files=FEW)
    assert [c.name for c in clips] == FEW
    assert [c.source for c in clips] == ["bandai", "cmu", "cmu"]
    assert clips[0].action == "walk"
    assert "walk" in clips[1].action
    bandai, cmu = clips[0], clips[1]
    assert all(c.fps == 30 and c.joints.dtype == np.float32 for c in clips)
    assert bandai.joints.shape[1:] == (21, 3)
    # CMU 007_03: 60 fps, rest frame dropped, then every other frame
    step = np.linalg.norm(np.diff(cmu.joints[:, 0], axis=0), axis=1)
    assert 0.02 < np.median(step) < 0.1  # walking speed per 1/30 s
    cached = list(tmp_path.glob("smoke_30fps_*.npz"))
    assert len(cached) == 1
    again = load_split("smoke", fps=30, mocap_dir=mocap_dir, cache_dir=tmp_path, files=FEW)
    for a, b in zip(clips, again, strict=True):
        assert (a.name, a.source, a.action, a.fps) == (b.name, b.source, b.action, b.fps)
        np.testing.assert_array_equal(a.joints, b.joints)
    # a different rate or file list is a different cache entry
    other = load_split("smoke", fps=60, mocap_dir=mocap_dir, cache_dir=tmp_path, files=FEW[1:])
    assert len(other[0].joints) > 1.9 * len(cmu.joints)
    assert len(list(tmp_path.glob("smoke_*.npz"))) == 2


def test_cmu_resampled_length(mocap_dir):
    from lifting.mocap.bvh import load_bvh

    frames = load_bvh(mocap_dir / FEW[1]).num_frames - 1  # rest frame dropped
    clip = load_split("x", mocap_dir=mocap_dir, cache_dir=False, files=FEW[1:2])[0]
    assert len(clip.joints) == (frames - 1) // 2 + 1


def test_missing_data_errors(mocap_dir, tmp_path):
    with pytest.raises(MocapDataError, match="not found"):
        load_split("train", mocap_dir=tmp_path / "nowhere")
    with pytest.raises(MocapDataError, match=r"splits\.json"):
        load_split("train", mocap_dir=tmp_path)
    with pytest.raises(MocapDataError, match="no split"):
        load_split("test", mocap_dir=mocap_dir, cache_dir=False)
    with pytest.raises(MocapDataError, match="missing"):
        load_split("x", mocap_dir=mocap_dir, cache_dir=False, files=["cmu/999_01.bvh.gz"])


def test_glitches_cut_clips(mocap_dir):
    from lifting.mocap.dataset import split_at_glitches

    walk = np.zeros((10, 21, 3))
    walk[:, :, 0] = np.arange(10)[:, None] * 0.05  # 1.5 m/s at 30 fps
    assert split_at_glitches(walk, 30) == [(0, 10)]
    walk[6:, 13, 2] += 0.8  # a wrist jumps 0.8 m in one frame and stays
    assert split_at_glitches(walk, 30) == [(0, 6), (6, 10)]
    # CMU 003_02: both arms jump ~0.8 m between frames 24 and 25 (60 fps); the short start goes
    clip = load_split("x", mocap_dir=mocap_dir, cache_dir=False, files=["cmu/003_02.bvh.gz"])
    assert [c.name for c in clip] == ["cmu/003_02.bvh.gz"]
    assert len(clip[0].joints) == (182 - 25 - 1) // 2 + 1
    step = np.linalg.norm(np.diff(clip[0].joints, axis=0), axis=-1).max()
    assert step * 30 < 12.0
