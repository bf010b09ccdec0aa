"""Training configuration: every argument of a run, saved in checkpoints and model cards."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


def role_names(name: str) -> dict[str, str]:
    """Exported model name of each role of a run named ``name`` (``<name>.pt``, ...)."""
    return {
        "pose": name,
        "trajectory": f"{name}-traj",
        "baseline": f"{name}-mlp",
        "baseline-noaug": f"{name}-mlp-noaug",
    }


@dataclass
class TrainConfig:
    """Arguments of one training run (see ``python -m lifting train --help``).

    The learning rate decays exponentially from ``lr`` to ``lr * lr_final`` and the batch-norm
    momentum from ``bn_momentum`` to ``bn_momentum_final`` over the run (its step budget, or its
    time budget when ``minutes`` is set), so a resumed run continues the same schedule.
    ``freeze_bn``: train with every model in eval mode (batch norm uses and keeps its running
    statistics, no dropout) — a fine-tuning phase that fits the weights to the statistics the
    model is evaluated with.
    """

    out: str = "out/train"
    name: str = "tcn"
    seed: int = 0
    channels: int = 256
    filter_widths: tuple = (3, 3, 3, 3)
    dropout: float = 0.0
    normalize: bool = True
    traj_channels: int = 128
    baseline_channels: int = 512
    baseline: bool = True
    baseline_frames: int = 4
    ablation: bool = True
    batch: int = 64
    out_frames: int = 32
    lr: float = 1e-3
    lr_final: float = 0.05
    bn_momentum: float = 0.1
    bn_momentum_final: float = 0.001
    steps: int = 0
    minutes: float = 0.0
    log_every: int = 50
    checkpoint_minutes: float = 5.0
    validate_minutes: float = 10.0
    augment_p: float = 0.5
    noise_p: float = 0.5
    h36m_p: float = 0.1
    offsets_p: float = 0.5
    speed_range: float = 1.4
    cmu_weight: float = 2.0
    fps: float = 30.0
    mocap_dir: str | None = None
    cache_dir: str | None = None
    files: list | None = None
    val_files: list | None = None
    threads: int = 1
    init: str | None = None
    init_name: str | None = None
    freeze_bn: bool = False
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["filter_widths"] = list(self.filter_widths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "filter_widths" in known:
            known["filter_widths"] = tuple(known["filter_widths"])
        return cls(**known)
