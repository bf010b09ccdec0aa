# SPDX-License-Identifier: GPL-3.0-or-later
"""Lift's settings: one PropertyGroup on the Scene and the add-on preferences."""

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

_model_items_cache: list = []  # Blender needs the enum strings kept alive


def model_items(self, context):
    """The bundled pose lifters (``lifting/weights``), "Default" first; trajectory models,
    which a pose lifter's card names and runs itself, are not offered."""
    from .lifting.models import registry

    cards = {}
    for name in registry.available():
        try:
            cards[name] = registry.load_card(name)
        except Exception:  # a broken card must not break the sidebar
            cards[name] = {}
    helpers = {card.get("trajectory_model") for card in cards.values()}
    items = [("default", "Default", f"The recommended model ({registry.DEFAULT})")]
    for name, card in cards.items():
        if name not in helpers:
            items.append((name, name, str(card.get("summary", card.get("description", name)))))
    _model_items_cache[:] = items
    return _model_items_cache


def _is_armature(self, obj) -> bool:
    return obj.type == "ARMATURE"


class LIFT_PG_bone_slot(bpy.types.PropertyGroup):
    """One row of the retarget bone map: a body role and the target bone that plays it."""

    role: StringProperty(name="Role")
    bone: StringProperty(name="Bone", description="The target armature's bone for this role")


class LIFT_PG_retarget(bpy.types.PropertyGroup):
    """Settings of the Retarget panel (``scene.lift.retarget``)."""

    source: PointerProperty(
        name="Source",
        description="The armature Lift Video made (its action is the motion to move)",
        type=bpy.types.Object,
        poll=_is_armature,
    )
    target: PointerProperty(
        name="Target",
        description="Your character's armature (Rigify, Mixamo, Unreal-style or custom)",
        type=bpy.types.Object,
        poll=_is_armature,
    )
    root_motion: EnumProperty(
        name="Root Motion",
        description="Which part of the target carries the body's travel",
        items=(
            ("hips", "Hips", "The bone that carries hips and chest (Rigify: torso)"),
            ("root", "Root Bone", "The bone mapped as the root"),
            ("object", "Armature Object", "The armature object's location"),
        ),
        default="hips",
    )
    foot_lock: BoolProperty(
        name="Lock Feet",
        description="Hold planted feet still on the target (two-bone IK on the legs)",
        default=True,
    )
    bones: CollectionProperty(type=LIFT_PG_bone_slot)
    show_map: BoolProperty(name="Bone Map", default=True)


class LIFT_PG_settings(bpy.types.PropertyGroup):
    """Per-scene settings of the Lift sidebar (``scene.lift``)."""

    video_path: StringProperty(
        name="Video",
        description="Video file, or a folder of numbered images, to capture motion from",
        subtype="FILE_PATH",
    )
    frame_start: IntProperty(
        name="Start", description="First video frame to use (0-based)", default=0, min=0
    )
    frame_end: IntProperty(
        name="End",
        description="Last video frame to use (inclusive); 0 means the end of the video",
        default=0,
        min=0,
    )
    model: EnumProperty(name="Model", description="The 2D-to-3D lifting model", items=model_items)
    adapt_to_video: BoolProperty(
        name="Adapt to This Video",
        description=(
            "Before lifting, fine-tune the model on this video's own 2D keypoints "
            "(self-supervised; the adapted copy is cached per video, the bundled model is kept). "
            "Needs PyTorch, which the extension does not ship"
        ),
        default=False,
    )
    adapt_minutes: FloatProperty(
        name="Adapt Minutes",
        description="Time to spend adapting the model to this video",
        default=2.0,
        min=0.1,
        max=60.0,
    )
    auto_focal: BoolProperty(
        name="Auto Focal Length",
        description="Assume a typical phone/camera field of view (60° horizontal)",
        default=True,
    )
    focal_length: FloatProperty(
        name="Focal Length",
        description="The footage's focal length, 35 mm full-frame equivalent",
        default=35.0,
        min=8.0,
        max=300.0,
        unit="CAMERA",
    )
    camera_height: FloatProperty(
        name="Camera Height",
        description=(
            "How high the camera was above the floor; fixes the scene's scale. "
            "0: estimate from the actor's height or the lifter's body size"
        ),
        default=0.0,
        min=0.0,
        max=50.0,
        unit="LENGTH",
    )
    actor_height: FloatProperty(
        name="Actor Height",
        description=(
            "The filmed person's standing height; one video cannot tell a small near person "
            "from a tall far one, so this fixes the motion's scale. 0: use the lifter's body size"
        ),
        default=0.0,
        min=0.0,
        max=2.5,
        unit="LENGTH",
    )
    smoothing: EnumProperty(
        name="Smoothing",
        description="How joint motion is filtered over time",
        items=(
            ("one_euro", "One-Euro", "Adaptive: smooths slow motion, keeps fast motion crisp"),
            ("butterworth", "Butterworth", "Zero-phase low-pass filter"),
            ("savgol", "Savitzky-Golay", "Polynomial smoothing, keeps peaks"),
            ("none", "None", "No smoothing"),
        ),
        default="one_euro",
    )
    strength: FloatProperty(
        name="Strength",
        description="How strongly to smooth (0 = light, 1 = heavy)",
        default=0.5,
        min=0.0,
        max=1.0,
        subtype="FACTOR",
    )
    foot_lock: EnumProperty(
        name="Foot Lock",
        description="Pin feet to the floor while they are planted",
        items=(
            ("auto", "Auto", "Lock feet where contacts are detected"),
            ("always", "Always", "Pin a foot whenever it is at floor level, even while moving"),
            ("never", "Never", "Do not lock feet"),
        ),
        default="auto",
    )
    root_motion: EnumProperty(
        name="Root Motion",
        description="Where the body travels",
        items=(
            ("WORLD", "World", "The body moves through the scene as in the video"),
            ("IN_PLACE", "In Place", "The body stays over the origin (turning is kept)"),
        ),
        default="WORLD",
    )
    retarget: PointerProperty(type=LIFT_PG_retarget)
    body_mesh: EnumProperty(
        name="Body Mesh",
        description="A skinned body mesh on the new armature",
        items=(
            ("NONE", "None", "Only the armature"),
            ("DEFAULT", "Default Body", "Lift's own body (CC0, from MakeHuman)"),
            ("SMPL", "SMPL File", "Your own SMPL model file (.pkl or .npz)"),
            (
                "MESHNET",
                "Mesh Net (Pose2Mesh)",
                "A body mesh predicted per frame by Lift's mesh net from the 2D and lifted 3D "
                "(decimated default body, animated by shape keys)",
            ),
        ),
        default="NONE",
    )
    smpl_path: StringProperty(
        name="SMPL File",
        description="Your SMPL model file (.pkl or .npz); Lift does not ship SMPL",
        subtype="FILE_PATH",
        options={"PATH_SUPPORTS_BLEND_RELATIVE"},  # "//" paths: relative to the .blend
    )
    follow_video: BoolProperty(
        name="Scene Follows Video",
        description=(
            "Set the scene's frame rate, frame range and resolution from the video, and make "
            "the new camera (which shows the video behind the motion) the active camera"
        ),
        default=True,
    )
    target_rig: PointerProperty(
        name="Target Rig",
        description=(
            "Also retarget the motion onto this armature (your character), with the Retarget "
            "panel's root motion, foot lock and, if it shows this rig, its bone map; empty: "
            "only the new Lift armature"
        ),
        type=bpy.types.Object,
        poll=_is_armature,
    )


class LIFT_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    force_cpu: BoolProperty(
        name="Force CPU",
        description="Run the models on the CPU even when a GPU is available",
        default=False,
    )

    def draw(self, context):
        self.layout.prop(self, "force_cpu")


classes = (LIFT_PG_bone_slot, LIFT_PG_retarget, LIFT_PG_settings, LIFT_AP_preferences)


def attach():
    """Add ``Scene.lift`` (after the classes are registered)."""
    bpy.types.Scene.lift = PointerProperty(type=LIFT_PG_settings)


def detach():
    """Remove ``Scene.lift`` (before the classes are unregistered)."""
    del bpy.types.Scene.lift
