# SPDX-License-Identifier: GPL-3.0-or-later
"""Sidebar panels: drawing only."""

from .main import LIFT_PT_main

classes = (LIFT_PT_main,)
