"""One Blender session with the extension installed from its zip (run by
test_installed_extension.py in a fresh interpreter that sees only ``bpy`` and what Blender
bundles; Blender's user folders point at a temporary directory).

``python -S installed_session.py ZIP [VIDEO]``: install and enable the zip, record where the
bundled modules load from, run ``lift.video`` on VIDEO (if given) from the installed package,
disable and uninstall. The last stdout line is ``RESULT <json>``; the lifted ``pose.npz`` and
the 2D ``track.npz`` are written to the working directory.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path

PACKAGE = "bl_ext.user_default.lift_mocap"
BUNDLED = ("mediapipe", "cv2", "onnxruntime", "matplotlib", "google.protobuf")


def install(bpy, zip_path: str, res: dict) -> None:
    ret = bpy.ops.extensions.package_install_files(
        filepath=zip_path, repo="user_default", enable_on_install=True
    )
    res["install"] = sorted(ret)
    res["enabled"] = PACKAGE in bpy.context.preferences.addons
    res["operator_registered"] = hasattr(bpy.types, "LIFT_OT_video")
    res["extension_dir"] = bpy.utils.user_resource("EXTENSIONS", path="user_default/lift_mocap")
    res["site_packages"] = [p for p in sys.path if "extensions" in p and "site-packages" in p]
    res["modules"] = {
        name: importlib.import_module(name).__file__ for name in BUNDLED if _spec(name)
    }
    res["torch_importable"] = _spec("torch")
    res["scipy_importable"] = _spec("scipy")  # a development dependency, not in the zip


def _spec(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def lift_video(bpy, video: str, res: dict) -> None:
    """Run the operator the way a script does and describe what it made."""
    before = set(bpy.data.objects.keys())
    bpy.context.scene.lift.video_path = video
    ret = bpy.ops.lift.video("EXEC_DEFAULT")
    res["lift"] = sorted(ret)
    jobs = sys.modules[f"{PACKAGE}.scene.jobs"]
    job = jobs.current()
    res["lift_state"] = job.state
    res["lift_error"] = job.error
    if job.result is not None:
        job.result.pose.save(Path.cwd() / "pose.npz")  # compared with torch by the test
        job.result.track.save(Path.cwd() / "track.npz")
        res["device"] = job.result.pose.device
        res["frames"] = len(job.result.motion.joints)
        res["detected"] = int(job.result.track.detected.sum())
    created = [bpy.data.objects[n] for n in sorted(set(bpy.data.objects.keys()) - before)]
    arms = [o for o in created if o.type == "ARMATURE"]
    res["armatures"] = [o.name for o in arms]
    res["keyframed_frames"] = [
        list(map(int, o.animation_data.action.frame_range))
        for o in arms
        if o.animation_data and o.animation_data.action
    ]
    res["torch_loaded"] = "torch" in sys.modules
    res["scipy_loaded"] = "scipy" in sys.modules
    res["lift_package"] = job.__class__.__module__


def remove(bpy, res: dict) -> None:
    bpy.ops.preferences.addon_disable(module=PACKAGE)
    res["disabled"] = PACKAGE not in bpy.context.preferences.addons
    res["operator_after_disable"] = hasattr(bpy.types, "LIFT_OT_video")
    repos = [r.module for r in bpy.context.preferences.extensions.repos]
    ret = bpy.ops.extensions.package_uninstall(
        repo_index=repos.index("user_default"), pkg_id="lift_mocap"
    )
    res["uninstall"] = sorted(ret)
    res["extension_dir_after"] = Path(res["extension_dir"]).exists()
    res["site_packages_after"] = sorted(
        p.name for d in res["site_packages"] if Path(d).is_dir() for p in Path(d).iterdir()
    )


def main(argv: list[str]) -> int:
    zip_path, video = argv[0], (argv[1] if len(argv) > 1 else None)
    res: dict = {}
    start = time.perf_counter()
    import bpy

    res["blender"] = bpy.app.version_string
    res["bpy_seconds"] = time.perf_counter() - start
    t = time.perf_counter()
    install(bpy, zip_path, res)
    res["install_seconds"] = time.perf_counter() - t
    if video:
        try:
            lift_video(bpy, video, res)
        except Exception as err:  # recorded for the lift test; removal is tested regardless
            res["lift_exception"] = f"{type(err).__name__}: {err}"
        res["install_to_result_seconds"] = time.perf_counter() - t
    remove(bpy, res)
    print("RESULT " + json.dumps(res, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
