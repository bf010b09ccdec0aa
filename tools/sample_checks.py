"""Checks and previews for tools/make_sample.py: GT overlays, video read-back, MediaPipe."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lifting.skeleton import BONES, JOINT_INDEX, LIFT_JOINTS


def overlay(frame_png: Path, pts2d: np.ndarray, out_png: Path):
    """Draw ground-truth 2D joints and bones on a rendered frame (for a visual check)."""
    import cv2

    img = cv2.imread(str(frame_png))
    for c, q in BONES:
        a, b = pts2d[c] - 0.5, pts2d[q] - 0.5
        cv2.line(
            img, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), (0, 255, 0), 1
        )
    for i, pt in enumerate(pts2d - 0.5):
        colour = (0, 0, 255) if "l_" in LIFT_JOINTS[i] else (255, 0, 0)
        cv2.circle(img, tuple(np.round(pt).astype(int)), 2, colour, -1)
    cv2.imwrite(str(out_png), img)


def check_video(video: Path, frames: list[Path]):
    """OpenCV reads back every frame of ``video`` and frame i looks like PNG i (no offset)."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    decoded = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        decoded.append(bgr)
    if len(decoded) != len(frames):
        raise SystemExit(f"{video}: OpenCV reads {len(decoded)} frames, expected {len(frames)}")
    for i in (0, len(frames) // 2, len(frames) - 1):
        png = cv2.imread(str(frames[i])).astype(np.float32)
        errs = [
            np.abs(decoded[k].astype(np.float32) - png).mean()
            for k in (i - 1, i, i + 1)
            if 0 <= k < len(decoded)
        ]
        here = np.abs(decoded[i].astype(np.float32) - png).mean()
        if here > min(errs) or here > 4.0:
            raise SystemExit(
                f"{video}: frame {i} does not match its render ({here:.2f} grey levels)"
            )
    print(f"{video.name}: OpenCV reads {len(decoded)} frames, matching the renders")


def detect(video: Path, joints_2d: np.ndarray) -> dict:
    """MediaPipe BlazePose (complexity 1, tracking) on ``video``: detection rate and the 2D
    distance (px) of its hips/knees/ankles/shoulders/elbows/wrists to the ground truth."""
    import cv2
    import mediapipe as mp

    pairs = {  # lift joint -> BlazePose landmark
        "l_shoulder": 11, "r_shoulder": 12, "l_elbow": 13, "r_elbow": 14, "l_wrist": 15,
        "r_wrist": 16, "l_hip": 23, "r_hip": 24, "l_knee": 25, "r_knee": 26, "l_ankle": 27,
        "r_ankle": 28,
    }  # fmt: skip
    cap = cv2.VideoCapture(str(video))
    found, errors, n = [], [], 0
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            h, w = bgr.shape[:2]
            res = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            found.append(res.pose_landmarks is not None)
            if res.pose_landmarks is not None and n < len(joints_2d):
                lm = res.pose_landmarks.landmark
                for name, k in pairs.items():
                    xy = np.array([lm[k].x * w, lm[k].y * h])
                    errors.append(np.linalg.norm(xy - joints_2d[n, JOINT_INDEX[name]]))
            n += 1
    errors = np.array(errors)
    return {
        "frames_read": n,
        "detected": int(np.sum(found)),
        "rate": float(np.mean(found)) if found else 0.0,
        "median_px": float(np.median(errors)) if len(errors) else None,
        "p90_px": float(np.percentile(errors, 90)) if len(errors) else None,
    }
