# SPDX-License-Identifier: GPL-3.0-or-later
"""The only layer that reads or writes Blender data."""
