"""Every bundled lifter side by side on the same validation windows, with its CPU speed measured
in the same run (used by ``python -m lifting evaluate``).

Accuracy: MPJPE and P-MPJPE (mm) with clean and with noisy synthetic 2D, MPJVE (mm/frame) with
noisy 2D, as in :mod:`lifting.train.validate` (edge padding, mirror test-time augmentation).
Speed: validation frames lifted per second of CPU wall time (torch, ``torch.get_num_threads()``
threads, mirror TTA included), timed over the clean pass.
"""

from __future__ import annotations

import time
from pathlib import Path

COLUMNS = (
    f"{'model':22s} {'arch':10s} {'RF':>3s} {'params':>9s} {'MPJPE':>6s} {'P-MPJPE':>7s} "
    f"{'MPJPE':>6s} {'P-MPJPE':>7s} {'MPJVE':>6s} {'frames/s':>9s}"
)
SUPER = f"{'':56s}{'clean 2D':^15s} {'noisy 2D':^22s}"


def lifter_names(directory: Path | None = None) -> list[str]:
    """Bundled models that output 3D poses (every role but ``trajectory``), default first."""
    from ..models import registry

    d = directory or registry.WEIGHTS_DIR
    names = [
        n for n in registry.available(d) if registry.load_card(n, d).get("role") != "trajectory"
    ]
    default = registry.resolve("default")
    return sorted(names, key=lambda n: (n != default, n))


def compare(sets: dict, directory: Path | None = None, names: list[str] | None = None) -> list:
    """One row per lifter: ``{name, architecture, receptive_field, parameters, clean, noisy,
    frames_per_s}`` (clean/noisy: ``score(...)["all"]``) on ``sets`` from
    :func:`lifting.train.validate.build_validation_sets`."""
    from ..models import registry
    from .validate import predict_groups, score

    rows = []
    for name in names or lifter_names(directory):
        model, card = registry.load_model(name, directory)
        frames = sum(g.inputs.shape[0] * g.inputs.shape[1] for g in sets["clean"])
        t0 = time.perf_counter()
        preds = predict_groups(model, sets["clean"])
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "name": name,
                "architecture": card.get("architecture", "?"),
                "receptive_field": model.receptive_field(),
                "parameters": sum(p.numel() for p in model.parameters()),
                "clean": score(model, sets["clean"], preds=preds)["all"],
                "noisy": score(model, sets["noisy"])["all"],
                "frames_per_s": frames / seconds,
            }
        )
    return rows


def format_table(rows: list) -> str:
    lines = [SUPER, COLUMNS]
    for r in rows:
        c, n = r["clean"], r["noisy"]
        lines.append(
            f"{r['name']:22s} {r['architecture']:10s} {r['receptive_field']:3d} "
            f"{r['parameters']:9d} {c['mpjpe']:6.1f} {c['p_mpjpe']:7.1f} {n['mpjpe']:6.1f} "
            f"{n['p_mpjpe']:7.1f} {n['mpjve']:6.2f} {r['frames_per_s']:9.0f}"
        )
    return "\n".join(lines)
