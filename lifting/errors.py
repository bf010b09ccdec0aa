"""Exceptions with messages that say what to do.

Operators turn a :class:`LiftError` into ``self.report({'ERROR'}, str(err))``; the batch command
into a line on stderr and a non-zero exit. Each failure users can cause has its own class.
"""


class LiftError(Exception):
    """Base class of every error Lift raises on purpose."""


class Cancelled(LiftError):  # noqa: N818 - reads as an event, like KeyboardInterrupt
    """The user cancelled a long-running job."""

    def __init__(self, message: str = "Cancelled by the user."):
        super().__init__(message)


class VideoNotFoundError(LiftError):
    """The video file or image folder does not exist."""


class NotAVideoError(LiftError):
    """The file exists but no frame can be decoded from it."""


class EmptyVideoError(LiftError):
    """The video (or the chosen frame range) contains no frames."""


class NoPersonFoundError(LiftError):
    """The detector found nobody in any frame."""


class ClipTooShortError(LiftError):
    """The clip has fewer frames than the chosen model or stage needs."""


class ModelNotFoundError(LiftError):
    """A named model has no weights or model card."""


class BVHParseError(LiftError):
    """A BVH file is malformed; the message names the file and line."""


class RigMappingError(LiftError):
    """A target armature's bones could not be mapped to the lift layout."""


class UnsafePickleError(LiftError):
    """A pickle (e.g. an SMPL .pkl) asked for a type the restricted loader does not allow."""


class FileFormatError(LiftError):
    """An npz or JSON file of ours is missing arrays or has an unknown format_version."""


class MotionSettingsError(LiftError):
    """A world-motion setting (smoothing, strength, focal length, camera height, foot lock mode)
    is out of range or unknown."""


class MocapDataError(LiftError):
    """The mocap folder, its splits.json or a listed BVH file is missing or unusable."""


class PoseTrackMismatchError(LiftError):
    """The 3D pose and the 2D keypoint track passed together cover different frames."""


class OutputExistsError(LiftError):
    """A command's output file exists already; Lift never overwrites it silently."""


class LinkedRigError(LiftError):
    """The target armature is linked from a library and no library override could be made."""


class NotALiftArmatureError(LiftError):
    """The retarget source is not an armature made by Lift (or has no animation)."""


class KeypointsNotFoundError(LiftError):
    """A 2D keypoints file given to the lifter does not exist."""


class TargetRigNotFoundError(LiftError):
    """The armature named as the target rig (sidebar or ``--target-rig``) does not exist."""


class AdaptationUnavailableError(LiftError):
    """Adapting a lifter to a video needs PyTorch, which this installation does not have."""


class AdaptationError(LiftError):
    """An adaptation request cannot be carried out (bad budget, cache folder, model)."""
