"""The adaptation loop: fine-tune a pose + trajectory lifter pair on clips' 2D only.

Each step draws windows of the clips to adapt to and minimises

- the back-projection error (:func:`~lifting.adapt.backproject.backprojection_loss`): predicted
  pose + predicted root projected through the clip's camera vs the input 2D, by confidence;
- a bone-length term: bone lengths stay near the supervised model's median bone lengths on the
  same clip (this also fixes the scale, which projection alone cannot);
- supervised mocap batches (:func:`lifting.train.synth.make_batch` through random cameras, the
  training recipe) mixed into every step so the model does not drift; without mocap, an L2 pull
  towards the starting weights instead;
- optionally (``teacher_student``) the invariant-teacher / equivariant-student regulariser
  (:mod:`.teacher`): teacher and student train alongside on the same frames (reprojection,
  cycles, distillation; 3D-supervised on the mocap batches) and, after a warm-up, the lifter is
  pulled towards the student's 3D and must itself follow a rotation about the vertical axis
  (rotate its 3D, project, lift again → the rotated 3D).

Batch norm keeps its supervised statistics (the models stay in eval mode; their dropout is 0),
so a single clip cannot skew them. Time-budgeted, with progress and cancel.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..models.sequence import pad_edges, predict_sequence
from ..models.tcn import centre_and_scale
from ..progress import CancelToken, ProgressFn, check_cancel, no_progress
from . import teacher as ts
from .backproject import backprojection_loss, bone_loss, project, reference_bone_lengths
from .clips import AdaptClip, sample_windows
from .rotations import about_vertical


@dataclass
class AdaptConfig:
    """Settings of one adaptation (saved in the adapted model card)."""

    lr: float = 1e-4
    batch: int = 16  # windows of the clips per step
    sup_batch: int = 16  # mocap chunks per step
    out_frames: int = 16  # supervised / back-projected output frames per window
    w_backproj: float = 1.0
    w_bone: float = 1.0
    w_sup: float = 1.0
    w_anchor: float = 1e-3  # L2 to the starting weights, only when no mocap is available
    teacher_student: bool = False
    w_distill: float = 0.1
    w_equivariance: float = 0.1
    ts_warmup: float = 0.3  # fraction of the budget before teacher/student regularise the lifter
    ts_lr: float = 1e-3
    max_turn_deg: float = 60.0  # lifter equivariance: turns about the vertical axis up to this
    noise_p: float = 0.5
    offsets_p: float = 0.5
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _t(a) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def backprojection_error(pose_model, traj_model, clips: list[AdaptClip]) -> dict:
    """Whole-clip back-projection error of a model pair (mirror test-time augmentation, as
    :func:`lifting.inference.lift`): ``{"normalised": mean over clips, "px": mean px}``,
    confidence-weighted."""
    norm, px = [], []
    for c in clips:
        x = _t(c.inputs[None])
        pose = predict_sequence(pose_model, x)
        root = predict_sequence(traj_model, x)[:, :, 0]
        with torch.no_grad():
            e = float(backprojection_loss(pose, root, x, torch.tensor([c.f_n])))
        norm.append(e)
        px.append(e * c.width / 2)
    return {"normalised": float(np.mean(norm)), "px": float(np.mean(px))}


def frames_of(x: torch.Tensor) -> torch.Tensor:
    """``(B, T, J, 3)`` normalised 2D + confidence → per-frame teacher/student inputs
    ``(B * T, J, 3)`` (the lifters' centring: pelvis-relative, divided by the 2D body size)."""
    rel, conf, _, _ = centre_and_scale(x)
    return torch.cat([rel, conf], dim=-1).flatten(0, 1)


class Adapter:
    """Adapts copies of ``pose_model`` / ``traj_model`` to ``clips``; call :meth:`run`.

    ``source_clips``: mocap clips (:func:`lifting.mocap.dataset.load_split`) for the supervised
    batches, or None when no mocap is available; ``source_weights``: sampling weight per clip
    source (``{"cmu": 2.0}``; default 1, i.e. in proportion to frames).
    """

    def __init__(
        self, pose_model, traj_model, clips, source_clips=None, config=None, *, source_weights=None
    ):
        self.cfg = config or AdaptConfig()
        if not clips:
            raise ValueError("no clips to adapt to")
        torch.manual_seed(self.cfg.seed)
        self.gen = torch.Generator().manual_seed(self.cfg.seed)
        self.rng = np.random.default_rng(self.cfg.seed)
        self.pose, self.traj = copy.deepcopy(pose_model).eval(), copy.deepcopy(traj_model).eval()
        for m in (self.pose, self.traj):
            for p in m.parameters():
                p.requires_grad_(True)
        self.start = [p.detach().clone() for p in self.params()]
        self.clips = clips
        self.pad = self.pose.pad()
        if self.traj.pad() != self.pad:
            raise ValueError("pose and trajectory models must have the same receptive field")
        self.opt = torch.optim.Adam(self.params(), lr=self.cfg.lr, amsgrad=True)
        self.ref_bones = torch.stack(
            [
                _t(
                    reference_bone_lengths(
                        predict_sequence(self.pose, _t(c.inputs[None]))[0], c.inputs[..., 2]
                    )
                )
                for c in clips
            ]
        )
        self.sampler = None
        if source_clips:
            from ..train.windows import ChunkSampler

            self.sampler = ChunkSampler(source_clips, self.pad, self.cfg.out_frames, source_weights)
        self.teacher = self.student = None
        if self.cfg.teacher_student:
            self.teacher, self.student = ts.Teacher(), ts.Student()
            self.ts_opt = torch.optim.Adam(
                [*self.teacher.parameters(), *self.student.parameters()], lr=self.cfg.ts_lr
            )
        self.steps = 0
        self.history: list[dict] = []

    def params(self) -> list[torch.nn.Parameter]:
        return [*self.pose.parameters(), *self.traj.parameters()]

    # -- losses -------------------------------------------------------------------------------
    def supervised_batch(self) -> dict:
        from ..train.synth import make_batch

        raw, valid = self.sampler.sample(self.rng, self.cfg.sup_batch)
        noise = bool(self.rng.random() < self.cfg.noise_p)
        offsets = "mediapipe" if self.rng.random() < self.cfg.offsets_p else None
        b = make_batch(raw, self.rng, noise=noise, mirror_p=0.5, offsets=offsets)
        p, n = self.pad, self.cfg.out_frames
        return {
            "inputs": _t(b["inputs"]),
            "target": _t(b["target"][:, p : p + n]),
            "root": _t(b["root"][:, p : p + n]),
            "valid": _t(valid),
        }

    def supervised_loss(self, b: dict) -> torch.Tensor:
        from ..train.loop import masked_mpjpe, trajectory_loss

        pose = masked_mpjpe(self.pose(b["inputs"]), b["target"], b["valid"])
        return pose + trajectory_loss(self.traj(b["inputs"]), b["root"], b["valid"])

    def anchor_loss(self) -> torch.Tensor:
        return sum(((p - s) ** 2).sum() for p, s in zip(self.params(), self.start, strict=True))

    def equivariance_loss(self, pose: torch.Tensor, root: torch.Tensor, f_n, conf) -> torch.Tensor:
        """The lifter's own cycle: its 3D turned about the vertical axis through the root,
        projected through the clip's camera and lifted again must give the turned 3D (m)."""
        b = pose.shape[0]
        turn = (torch.rand(b, generator=self.gen) * 2 - 1) * np.radians(self.cfg.max_turn_deg)
        rot = about_vertical(turn)
        turned = torch.einsum("bij,btkj->btki", rot, pose.detach())
        xy = project(turned + root.detach()[:, :, None], f_n)
        again = self.pose(pad_edges(torch.cat([xy * (conf > 0), conf], dim=-1), self.pad))
        return torch.linalg.vector_norm(again - turned, dim=-1).mean()

    def teacher_student_step(self, frames: torch.Tensor, sup: dict | None) -> dict:
        """One update of teacher and student on clip frames (2D only) and, when given, mocap
        frames (3D known). Returns the loss values."""
        t, s = self.teacher, self.student
        n = min(len(frames), 512)
        f = frames[torch.randperm(len(frames), generator=self.gen)[:n]]
        loss_t = 5 * ts.teacher_reprojection_loss(t, f) + ts.teacher_cycle_loss(t, f, self.gen)
        loss_s = ts.distillation_loss(s, t, f) + ts.student_cycle_loss(s, f, self.gen)
        if sup is not None:
            sf = frames_of(sup["inputs"][:, self.pad : self.pad + self.cfg.out_frames])
            target = sup["target"].flatten(0, 1)
            k = torch.randperm(len(sf), generator=self.gen)[:n]
            loss_t = loss_t + ts.supervised_shape_loss(t.posed(sf[k]), target[k])
            loss_s = loss_s + ts.supervised_shape_loss(s.lift(sf[k]), target[k])
        self.ts_opt.zero_grad(set_to_none=True)
        (loss_t + loss_s).backward()
        self.ts_opt.step()
        return {"teacher": loss_t.item(), "student": loss_s.item()}

    def step(self, fraction: float) -> dict:
        """One update; ``fraction`` of the budget spent so far (teacher/student warm-up)."""
        cfg = self.cfg
        x, f_n, idx = sample_windows(self.clips, self.rng, cfg.batch, self.pad, cfg.out_frames)
        x, f_n = _t(x), _t(f_n)
        centre = x[:, self.pad : self.pad + cfg.out_frames]
        pose = self.pose(x)
        root = self.traj(x)[:, :, 0]
        out = {"backproj": backprojection_loss(pose, root, centre, f_n)}
        out["bone"] = bone_loss(pose, self.ref_bones[_t(idx).long()])
        sup = self.supervised_batch() if self.sampler is not None else None
        if sup is not None:
            out["supervised"] = self.supervised_loss(sup)
        else:
            out["anchor"] = self.anchor_loss()
        weights = {"backproj": cfg.w_backproj, "bone": cfg.w_bone, "supervised": cfg.w_sup}
        weights["anchor"] = cfg.w_anchor
        if self.teacher is not None:
            out.update(self.teacher_student_step(frames_of(centre), sup))
            if fraction >= cfg.ts_warmup:
                q = self.student.lift(frames_of(centre)).detach()
                out["distill"] = ts.shape_distance(pose.flatten(0, 1), q)
                out["equivariance"] = self.equivariance_loss(pose, root, f_n, centre[..., 2:3])
                weights.update(distill=cfg.w_distill, equivariance=cfg.w_equivariance)
        loss = sum(weights[k] * v for k, v in out.items() if k in weights)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps += 1
        return {k: float(v.detach()) if torch.is_tensor(v) else float(v) for k, v in out.items()}

    def run(
        self,
        budget_s: float,
        progress: ProgressFn = no_progress,
        cancel: CancelToken | None = None,
        *,
        log_every: int = 25,
        max_steps: int | None = None,
    ) -> dict:
        """Adapt until ``budget_s`` seconds of wall time have passed (at least one step) or
        ``max_steps`` steps were made. Returns ``{"steps", "seconds", "history"}``; raises
        Cancelled when ``cancel`` is set."""
        t0 = time.monotonic()
        acc: dict[str, float] = {}
        n = 0

        def spent() -> float:  # the budget is whichever of time and steps runs out first
            f = (time.monotonic() - t0) / max(budget_s, 1e-9)
            return max(f, self.steps / max_steps) if max_steps else f

        while True:
            check_cancel(cancel)
            fraction = spent()
            if self.steps and fraction >= 1.0:
                break
            for k, v in self.step(fraction).items():
                acc[k] = acc.get(k, 0.0) + v
            n += 1
            progress(min(1.0, spent()))
            if n == log_every:
                self.history.append({"step": self.steps, **{k: v / n for k, v in acc.items()}})
                acc, n = {}, 0
        progress(1.0)
        return {"steps": self.steps, "seconds": time.monotonic() - t0, "history": self.history}
