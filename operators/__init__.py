# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators: one module per user action; thin (gather settings, start a job, apply the result)."""

from . import export, retarget, video

classes = (*video.classes, *export.classes, *retarget.classes)
