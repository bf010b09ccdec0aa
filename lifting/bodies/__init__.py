"""Body meshes driven by lifted joints: the default CC0 body, a user's SMPL file, the fit."""

from .model import BONE_NAMES, DEFAULT_BODY, BodyModel, conform, load_body, save_body, skin

__all__ = ["BONE_NAMES", "DEFAULT_BODY", "BodyModel", "conform", "load_body", "save_body", "skin"]
