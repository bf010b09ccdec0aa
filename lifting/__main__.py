"""``python -m lifting COMMAND ...``: Lift's command line, one module per command.

Each command module defines ``add_arguments(parser)`` and ``main(args) -> int``; they are
imported only when chosen, so ``--help`` stays fast and torch loads only when needed.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import LiftError

COMMANDS: dict[str, tuple[str, str]] = {
    "keypoints": (".keypoints.cli", "detect 2D keypoints in a video (MediaPipe BlazePose)"),
    "lift": (".inference_cli", "lift 2D keypoints to 3D with a bundled model"),
    "world": (".motion.cli", "place lifted 3D in the world: trajectory, floor, smoothing, feet"),
    "train": (".train.cli", "train a lifter on BVH mocap"),
    "train-model": (".train.single_model", "train one more lifter (GLA-GCN, volumetric)"),
    "evaluate": (".evaluate", "evaluate lifters on the validation split"),
    "adapt": (".adapt.cli", "adapt the lifter to one clip's 2D keypoints (needs PyTorch)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m lifting", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, summary) in COMMANDS.items():
        sub.add_parser(name, help=summary, add_help=False)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        parser.print_help()
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]][0], __package__)
    cmd = argparse.ArgumentParser(prog=f"python -m lifting {argv[0]}")
    module.add_arguments(cmd)
    args = cmd.parse_args(argv[1:])
    try:
        return int(module.main(args) or 0)
    except LiftError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
