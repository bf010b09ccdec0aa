"""Keypoint cache: keys, misses, hits, damaged entries."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from keypoint_media import person_frames, write_video

from lifting.keypoints import cache, extract_keypoints
from lifting.keypoints.track import Track2D


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("cache") / "clip.mp4", person_frames(10))


def test_key_follows_content_settings_and_versions(tmp_path, video, monkeypatch):
    key = cache.cache_key(video, {"stride": 1})
    renamed = shutil.copy(video, tmp_path / "other name.mp4")
    assert cache.cache_key(renamed, {"stride": 1}) == key  # identity is content, not path
    assert cache.cache_key(video, {"stride": 2}) != key
    data = bytearray(video.read_bytes())
    for where in (10, len(data) - 10):  # a changed byte in the head or the tail
        edited = bytearray(data)
        edited[where] ^= 0xFF
        (tmp_path / "edited.mp4").write_bytes(bytes(edited))
        assert cache.cache_key(tmp_path / "edited.mp4", {"stride": 1}) != key
    (tmp_path / "longer.mp4").write_bytes(bytes(data) + b"\0")
    assert cache.cache_key(tmp_path / "longer.mp4", {"stride": 1}) != key
    monkeypatch.setattr(cache, "versions", lambda: {"mediapipe": "0.10.99", "opencv": "4"})
    assert cache.cache_key(video, {"stride": 1}) != key


def test_image_folder_identity_sees_each_image(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        (folder / f"f{i}.png").write_bytes(bytes([i]) * 100)
    before = cache.file_identity(folder)
    (folder / "f1.png").write_bytes(bytes([9]) * 100)
    assert cache.file_identity(folder) != before


def test_miss_then_hit(tmp_path, video):
    cache_dir = tmp_path / "cache"
    first = extract_keypoints(video, end=6, workers=1, cache_dir=cache_dir)
    entries = list(cache_dir.glob("*.npz"))
    assert len(entries) == 1
    np.testing.assert_array_equal(Track2D.load(entries[0]).keypoints, first.keypoints)
    # Mark the entry: a hit must return the marked data, proving MediaPipe did not run again.
    marked = Track2D.load(entries[0])
    marked.keypoints[:, 0, 0] = -1.0
    marked.save(entries[0])
    copy = shutil.copy(video, tmp_path / "copy.mp4")
    seen = []
    hit = extract_keypoints(copy, end=6, workers=1, cache_dir=cache_dir, progress=seen.append)
    assert (hit.keypoints[:, 0, 0] == -1.0).all()
    assert hit.source == str(copy) and seen == [1.0]
    # other settings: a miss, a second entry, fresh results
    other = extract_keypoints(video, end=6, stride=2, workers=1, cache_dir=cache_dir)
    assert len(list(cache_dir.glob("*.npz"))) == 2
    assert (other.keypoints[:, 0, 0] > 0).all()


def test_damaged_entry_is_a_miss_and_is_replaced(tmp_path, video):
    cache_dir = tmp_path / "cache"
    extract_keypoints(video, end=4, workers=1, cache_dir=cache_dir)
    (entry,) = cache_dir.glob("*.npz")
    entry.write_bytes(b"damaged")
    again = extract_keypoints(video, end=4, workers=1, cache_dir=cache_dir)
    assert len(again) == 4 and Track2D.load(entry).keypoints.shape == (4, 33, 3)
    assert [p.name for p in cache_dir.iterdir()] == [entry.name]  # no temporary files left


def test_no_cache_dir_writes_nothing(tmp_path, video, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_cache_dir() == tmp_path / "xdg" / "lift" / "keypoints"
    extract_keypoints(video, end=3, workers=1)
    assert not (tmp_path / "xdg").exists()
