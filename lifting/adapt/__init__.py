"""Self-supervised adaptation of a lifter to the user's own footage (2D keypoints only).

:func:`adapt` fine-tunes a bundled pose + trajectory pair on one clip with VideoPose3D's
back-projection loss, a bone-length term and supervised mocap batches, optionally regularised
by an invariant teacher / equivariant student (Xu et al., AAAI 2021); the result is cached per
clip (never in ``lifting/weights``). See docs/adapt.md. Needs PyTorch: the extension's
ONNX-only install reports :class:`~lifting.errors.AdaptationUnavailableError`.

This package's ``__init__`` imports nothing heavy, so checking :func:`torch_available` is cheap.
"""

from __future__ import annotations

import importlib.util

from ..errors import AdaptationUnavailableError

UNAVAILABLE_MESSAGE = (
    "Adapting to a video needs PyTorch, which this Lift installation does not include "
    "(the extension runs its lifters with ONNX Runtime). Run Lift from a development "
    "checkout with PyTorch, or turn 'Adapt to this video' off."
)


def torch_available() -> bool:
    """Whether PyTorch can be imported (checked without importing it)."""
    return importlib.util.find_spec("torch") is not None


def require_torch() -> None:
    """Raise AdaptationUnavailableError when PyTorch is missing."""
    if not torch_available():
        raise AdaptationUnavailableError(UNAVAILABLE_MESSAGE)


def adapt(*args, **kwargs):
    """:func:`lifting.adapt.api.adapt` (imported on first use; needs PyTorch)."""
    require_torch()
    from .api import adapt as run

    return run(*args, **kwargs)


def lift_adapted(*args, **kwargs):
    """:func:`lifting.adapt.api.lift_adapted` (needs PyTorch)."""
    require_torch()
    from .api import lift_adapted as run

    return run(*args, **kwargs)
