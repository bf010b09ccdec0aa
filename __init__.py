# SPDX-License-Identifier: GPL-3.0-or-later
"""Lift: markerless motion capture from ordinary video. Registration only."""

import bpy

from . import operators, panels, props

_classes = (*props.classes, *operators.classes, *panels.classes)
_register_classes, _unregister_classes = bpy.utils.register_classes_factory(_classes)


def register():
    _register_classes()
    props.attach()


def unregister():
    props.detach()
    _unregister_classes()
