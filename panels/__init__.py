# SPDX-License-Identifier: GPL-3.0-or-later
"""Sidebar panels: drawing only."""

from .main import LIFT_PT_main
from .retarget import LIFT_PT_retarget

classes = (LIFT_PT_main, LIFT_PT_retarget)
