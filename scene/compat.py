# SPDX-License-Identifier: GPL-3.0-or-later
"""Shims over Blender API differences between 4.2 LTS, 4.4+ and 5.0.

Actions: 4.2/4.3 keep F-curves on the action itself ("flat"); 4.4 introduced slotted actions
(action → slot → layer → strip → channelbag → fcurves) while keeping ``Action.fcurves`` as a
legacy proxy ("slotted"); 5.0 removed ``Action.fcurves`` ("channelbag only"). Each function
picks its branch with :func:`action_api`, whose choice is a pure function of what the running
Blender offers, so the choice itself is tested on every version.
"""

import bpy

FLAT = "flat"  # 4.2, 4.3: action.fcurves / action.groups
SLOTTED = "slotted"  # 4.4 - 4.5: slots + channelbags; action.fcurves still a legacy proxy
CHANNELBAG = "channelbag"  # 5.0+: slots + channelbags only


def choose_action_api(has_slots: bool, has_action_fcurves: bool) -> str:
    """Which Action API to use, from two facts about the running Blender's RNA."""
    if not has_slots:
        return FLAT
    return SLOTTED if has_action_fcurves else CHANNELBAG


def action_api() -> str:
    """The running Blender's Action API: :data:`FLAT`, :data:`SLOTTED` or :data:`CHANNELBAG`."""
    props = bpy.types.Action.bl_rna.properties
    return choose_action_api("slots" in props, "fcurves" in props)


def has_slotted_actions() -> bool:
    """True when actions have slots and layers (Blender 4.4 and later)."""
    return action_api() != FLAT


def assign_action(id_data, action) -> None:
    """Make ``action`` the active action of ``id_data`` (with a slot of its own on 4.4+)."""
    anim = id_data.animation_data or id_data.animation_data_create()
    anim.action = action
    if action_api() != FLAT and anim.action_slot is None:
        slot = action.slots.new(id_type=id_data.id_type, name=id_data.name)
        anim.action_slot = slot


def fcurve_owner(action, id_data):
    """Return what owns ``.fcurves`` and ``.groups`` for ``id_data``'s animation in ``action``.

    ``id_data`` must already have ``action`` assigned (``id_data.animation_data.action``). On
    4.2/4.3 that is the action itself; on 4.4+ it is the channelbag of the assigned slot,
    created if needed (through ``bpy_extras.anim_utils``, which exists from 4.4).
    """
    if action_api() == FLAT:
        return action
    from bpy_extras import anim_utils

    anim = id_data.animation_data
    slot = anim.action_slot
    if slot is None:
        slot = action.slots.new(id_type=id_data.id_type, name=id_data.name)
        anim.action_slot = slot
    return anim_utils.action_ensure_channelbag_for_slot(action, slot)


def action_fcurves(action, id_data=None) -> list:
    """All F-curves of ``action`` (of ``id_data``'s slot when given, else of every slot)."""
    if action_api() == FLAT:
        return list(action.fcurves)
    curves = []
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                if id_data is None or bag.slot == id_data.animation_data.action_slot:
                    curves.extend(bag.fcurves)
    return curves


def new_fcurve(owner, data_path: str, index: int, group: str | None = None):
    """A new F-curve on ``owner`` (from :func:`fcurve_owner`) in the channel group ``group``.

    4.2's ``Action.fcurves.new`` takes ``action_group=``; channelbags take no group and get it
    assigned afterwards.
    """
    if group is None:
        return owner.fcurves.new(data_path, index=index)
    if isinstance(owner, bpy.types.Action):
        return owner.fcurves.new(data_path, index=index, action_group=group)
    fcurve = owner.fcurves.new(data_path, index=index)
    grp = owner.groups.get(group) or owner.groups.new(group)
    fcurve.group = grp
    return fcurve


def enum_value(struct, prop: str, identifier: str) -> int:
    """Integer value of an enum item (for ``foreach_set`` of enum properties)."""
    return struct.bl_rna.properties[prop].enum_items[identifier].value
