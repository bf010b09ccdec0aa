"""Lift's core: video → 2D keypoints → 3D lifting → world motion, in NumPy and PyTorch.

Nothing in this package imports Blender (``bpy``, ``mathutils``, ``bmesh``); it runs with plain
Python as ``python -m lifting ...`` from the repository root. Heavy dependencies (torch, cv2,
mediapipe) are imported lazily inside the functions that need them.
"""

FORMAT_VERSION = 1
