"""World motion: trajectory, ground and camera, smoothing, bone lengths, foot contacts, report.

``from lifting.motion.world import to_world, Motion`` is the entry point (see world.py).
"""
