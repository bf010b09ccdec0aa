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
    their source (``source_weights``, default 1).
    """

    clips: list
    pad: int
    out_frames: int
    source_weights: dict | None = None

    def __post_init__(self):
        if not self.clips:
            raise ValueError("no training clips")
        self._padded = [self._pad_clip(c.joints) for c in self.clips]
        w = np.array(
            [len(c.joints) * (self.source_weights or {}).get(c.source, 1.0) for c in self.clips],
            dtype=np.float64,
        )
        self._p = w / w.sum()

    def _pad_clip(self, joints: np.ndarray) -> np.ndarray:
        """Edge-pad by ``pad`` each side, and at the end up to one full chunk if too short."""
        j = np.asarray(joints, dtype=np.float32)
        tail = max(0, self.out_frames - len(j))
        return np.concatenate(
            [np.repeat(j[:1], self.pad, 0), j, np.repeat(j[-1:], self.pad + tail, 0)]
        )

    @property
    def chunk_frames(self) -> int:
        return 2 * self.pad + self.out_frames

    def sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(windows (B, chunk_frames, J, 3), valid (B, out_frames) bool)``.

        ``valid`` is False for output frames that are end padding beyond a short clip's last
        frame (they repeat a frame already supervised and are left out of the loss).
        """
        idx = rng.choice(len(self.clips), size=batch, p=self._p)
        out = np.empty((batch, self.chunk_frames, *self._padded[0].shape[1:]), np.float32)
        valid = np.ones((batch, self.out_frames), bool)
        for b, i in enumerate(idx):
            n_real = len(self.clips[i].joints)
            last_start = max(0, n_real - self.out_frames)
            s = int(rng.integers(0, last_start + 1))
            out[b] = self._padded[i][s : s + self.chunk_frames]
            valid[b, max(0, n_real - s) :] = False
        return out, valid
