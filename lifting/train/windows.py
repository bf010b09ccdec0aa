"""Training chunks cut from mocap clips (world frame, Z up, metres).

Training draws chunks of ``receptive_field - 1 + out_frames`` frames from clips padded by edge
replication (as inference pads a clip's ends), so every real frame can be an output frame and
clips shorter than a chunk still contribute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ChunkSampler:
    """Random training chunks from clips ``[(T_i, J, 3)]``.

    ``pad`` = frames of context each side (receptive field // 2); ``out_frames`` = supervised
    output frames per chunk. Clips are drawn in proportion to their length times the weight of
    their source (``source_weights``, default 1). ``speed`` (lo, hi): each chunk plays its clip
    at a random speed, log-uniform in [lo, hi] (linear interpolation between frames), so the
    temporal model does not learn one performer's tempo; (1, 1) keeps the frames as they are.
    Positions before the first or after the last frame repeat the end frames (edge padding).
    """

    clips: list
    pad: int
    out_frames: int
    source_weights: dict | None = None
    speed: tuple = (1.0, 1.0)

    def __post_init__(self):
        if not self.clips:
            raise ValueError("no training clips")
        self._joints = [np.asarray(c.joints, dtype=np.float32) for c in self.clips]
        w = np.array(
            [len(c.joints) * (self.source_weights or {}).get(c.source, 1.0) for c in self.clips],
            dtype=np.float64,
        )
        self._p = w / w.sum()

    @property
    def chunk_frames(self) -> int:
        return 2 * self.pad + self.out_frames

    def sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(windows (B, chunk_frames, J, 3), valid (B, out_frames) bool)``.

        ``valid`` is False for output frames past a short clip's last frame (they repeat a
        frame already supervised and are left out of the loss).
        """
        idx = rng.choice(len(self.clips), size=batch, p=self._p)
        lo, hi = np.log(self.speed[0]), np.log(self.speed[1])
        speeds = np.exp(rng.uniform(lo, hi, size=batch)) if hi > lo else np.full(batch, 1.0)
        out = np.empty((batch, self.chunk_frames, *self._joints[0].shape[1:]), np.float32)
        valid = np.ones((batch, self.out_frames), bool)
        k = np.arange(self.chunk_frames) - self.pad
        for b, (i, v) in enumerate(zip(idx, speeds, strict=True)):
            j = self._joints[i]
            last = len(j) - 1
            span = v * (self.out_frames - 1)
            if v == 1.0:  # whole frames: no interpolation at normal speed
                t0 = float(rng.integers(0, int(max(0.0, last - span)) + 1))
            else:
                t0 = rng.uniform(0, last - span) if last > span else 0.0
            q = np.clip(t0 + v * k, 0, last)
            f = np.floor(q).astype(int)
            g = np.minimum(f + 1, last)
            a = (q - f).astype(np.float32)[:, None, None]
            out[b] = j[f] * (1 - a) + j[g] * a
            valid[b] = t0 + v * np.arange(self.out_frames) <= last + 1e-6
        return out, valid
