# SPDX-License-Identifier: GPL-3.0-or-later
"""Shims over Blender API differences between 4.2 LTS, 4.4+ and 5.0.

Actions: 4.2/4.3 keep F-curves on the action itself; 4.4 introduced slotted actions
(action → slot → layer → strip → channelbag → fcurves) and 5.0 removed ``Action.fcurves``.
"""

import bpy


def has_slotted_actions() -> bool:
    """True when actions have slots and layers (Blender 4.4 and later)."""
    return "slots" in bpy.types.Action.bl_rna.properties


def fcurve_owner(action, id_data):
    """Return what owns ``.fcurves`` and ``.groups`` for ``id_data``'s animation in ``action``.

    ``id_data`` must already have ``action`` assigned (``id_data.animation_data.action``). On
    4.2/4.3 that is the action itself; on 4.4+ it is the channelbag of the assigned slot,
    created if needed.
    """
    if not has_slotted_actions():
        return action
    from bpy_extras import anim_utils

    anim = id_data.animation_data
    slot = anim.action_slot
    if slot is None:
        slot = action.slots.new(id_type=id_data.id_type, name=id_data.name)
        anim.action_slot = slot
    return anim_utils.action_ensure_channelbag_for_slot(action, slot)
