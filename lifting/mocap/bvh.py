"""A BVH reader of our own (NumPy): ``.bvh`` and gzip-compressed ``.bvh.gz``.

Handles any rotation channel order, position channels on any joint, and end sites (kept as
joints without channels, named ``<parent>_End``). Forward kinematics is vectorised over frames.
Positions come out in the file's units and axes; :func:`detect_units` guesses the unit from
the skeleton's size.

Position channels: a joint with position channels is placed at its channel values (the usual
convention; its OFFSET is ignored) unless ``forward_kinematics(..., position="add")`` is asked
for (some exporters, e.g. iClone, write root positions relative to the OFFSET).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BVHParseError

ROTATIONS = ("Xrotation", "Yrotation", "Zrotation")
POSITIONS = ("Xposition", "Yposition", "Zposition")
VALID_CHANNELS = set(ROTATIONS + POSITIONS)

# Guessed from the skeleton span (largest end-to-end path through the tree, about a body
# height): (name, metres per unit, smallest span, largest span) in file units.
UNITS = (
    ("m", 1.0, 0.3, 3.5),
    ("inch", 0.0254, 25.0, 100.0),
    ("cm", 0.01, 100.0, 350.0),
    ("mm", 0.001, 1000.0, 3500.0),
)


@dataclass
class Bvh:
    """A parsed BVH file.

    ``names`` (N,) joint names (end sites are ``<parent>_End``), ``parents`` (N,) int (-1 for
    roots; parents precede children), ``offsets`` (N,3) rest offsets in file units,
    ``channels`` list of N tuples of channel names (empty for end sites), ``frame_time`` s,
    ``motion`` (T, C) float64 channel values in file order (degrees for rotations).
    """

    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: list[tuple[str, ...]]
    frame_time: float
    motion: np.ndarray
    path: str = ""
    is_end_site: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def index(self, name: str) -> int:
        """Index of joint ``name``; KeyError if absent."""
        return self.names.index(name)

    def channel_columns(self) -> list[np.ndarray]:
        """Per joint, the columns of ``motion`` holding its channels, in channel order."""
        cols, start = [], 0
        for ch in self.channels:
            cols.append(np.arange(start, start + len(ch)))
            start += len(ch)
        return cols


def _open_text(path: Path) -> str:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except (OSError, EOFError) as err:
        raise BVHParseError(
            f"{path}: cannot read the file ({err}). Check it is a BVH file."
        ) from err


def load_bvh(path) -> Bvh:
    """Read a ``.bvh`` or ``.bvh.gz`` file. Raises :class:`BVHParseError` naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise BVHParseError(f"{path}: no such file. Check the path.")
    return parse_bvh(_open_text(path), str(path))


def parse_bvh(text: str, source: str = "<string>") -> Bvh:
    """Parse BVH text; ``source`` names the file in error messages."""
    lines = text.splitlines()
    parser = _HierarchyParser(lines, source)
    parser.parse()
    motion_line = parser.line_no  # index of the line after the hierarchy
    frames, frame_time, first = _parse_motion_header(lines, motion_line, source)
    n_channels = sum(len(c) for c in parser.channels)
    motion = _parse_motion_rows(lines, first, frames, n_channels, source)
    return Bvh(
        names=parser.names,
        parents=np.array(parser.parents, dtype=np.int64),
        offsets=np.array(parser.offsets, dtype=np.float64).reshape(-1, 3),
        channels=parser.channels,
        frame_time=frame_time,
        motion=motion,
        path=source,
        is_end_site=np.array(parser.end_sites, dtype=bool),
    )


class _HierarchyParser:
    """Recursive-descent parser of the HIERARCHY section (line-based, tracks line numbers)."""

    def __init__(self, lines: list[str], source: str):
        self.lines, self.source, self.line_no = lines, source, 0
        self.names: list[str] = []
        self.parents: list[int] = []
        self.offsets: list[list[float]] = []
        self.channels: list[tuple[str, ...]] = []
        self.end_sites: list[bool] = []

    def fail(self, message: str, line_no: int | None = None):
        n = self.line_no - 1 if line_no is None else line_no
        raise BVHParseError(f"{self.source}, line {n + 1}: {message}. The BVH file is malformed.")

    def next_tokens(self) -> list[str]:
        while self.line_no < len(self.lines):
            tokens = self.lines[self.line_no].split()
            self.line_no += 1
            if tokens:
                return tokens
        self.fail("unexpected end of file", len(self.lines) - 1)

    def parse(self):
        if self.next_tokens() != ["HIERARCHY"]:
            self.fail("expected 'HIERARCHY'", self.line_no - 1)
        tokens = self.next_tokens()
        if tokens[0] != "ROOT":
            self.fail("expected 'ROOT <name>'", self.line_no - 1)
        while True:
            self.joint(tokens, -1)
            tokens = self.next_tokens()
            if tokens[0] == "MOTION":
                return
            if tokens[0] != "ROOT":
                self.fail(f"expected 'MOTION' or another 'ROOT', found '{tokens[0]}'")

    def joint(self, header: list[str], parent: int):
        here = self.line_no - 1
        end = header[0] == "End"
        if end:
            if parent < 0:
                self.fail("'End Site' outside a joint", here)
            name = self.names[parent] + "_End"
        else:
            if len(header) < 2:
                self.fail(f"'{header[0]}' without a name", here)
            name = " ".join(header[1:])
        index = len(self.names)
        self.names.append(name)
        self.parents.append(parent)
        self.offsets.append([0.0, 0.0, 0.0])
        self.channels.append(())
        self.end_sites.append(end)
        if self.next_tokens() != ["{"]:
            self.fail(f"expected '{{' after '{' '.join(header)}'")
        seen_offset = False
        while True:
            tokens = self.next_tokens()
            key = tokens[0]
            if key == "OFFSET":
                self.offsets[index] = self.floats(tokens[1:], 3, "OFFSET")
                seen_offset = True
            elif key == "CHANNELS" and not end:
                self.channels[index] = self.channel_list(tokens)
            elif key in ("JOINT", "End") and not end:
                self.joint(tokens, index)
            elif key == "}":
                if not seen_offset:
                    self.fail(f"joint '{name}' has no OFFSET")
                return
            else:
                self.fail(f"unexpected '{' '.join(tokens)}' in '{name}'")

    def floats(self, tokens: list[str], n: int, what: str) -> list[float]:
        if len(tokens) != n:
            self.fail(f"{what} needs {n} numbers, found {len(tokens)}")
        try:
            return [float(t) for t in tokens]
        except ValueError:
            self.fail(f"{what} has a value that is not a number: {' '.join(tokens)}")

    def channel_list(self, tokens: list[str]) -> tuple[str, ...]:
        try:
            count = int(tokens[1])
        except (IndexError, ValueError):
            self.fail("CHANNELS needs a count")
        names = tuple(tokens[2:])
        if len(names) != count:
            self.fail(f"CHANNELS says {count} channels but lists {len(names)}")
        bad = [c for c in names if c not in VALID_CHANNELS]
        if bad:
            self.fail(f"unknown channel '{bad[0]}'")
        return names


def _parse_motion_header(lines, start, source):
    def fail(n, message):
        raise BVHParseError(f"{source}, line {n + 1}: {message}. The BVH file is malformed.")

    n = start
    while n < len(lines) and not lines[n].strip():
        n += 1
    if n >= len(lines) or not lines[n].strip().startswith("Frames:"):
        fail(min(n, len(lines) - 1), "expected 'Frames: <count>'")
    try:
        frames = int(lines[n].split(":", 1)[1])
    except ValueError:
        fail(n, "the frame count is not a whole number")
    n += 1
    if n >= len(lines) or not lines[n].strip().startswith("Frame Time:"):
        fail(min(n, len(lines) - 1), "expected 'Frame Time: <seconds>'")
    try:
        frame_time = float(lines[n].split(":", 1)[1])
    except ValueError:
        fail(n, "the frame time is not a number")
    if not frame_time > 0:
        fail(n, "the frame time must be positive")
    if frames < 0:
        fail(n - 1, "the frame count is negative")
    return frames, frame_time, n + 1


def _parse_motion_rows(lines, first, frames, n_channels, source) -> np.ndarray:
    rows = [line for line in lines[first:] if line.strip()]
    if len(rows) < frames:
        raise BVHParseError(
            f"{source}, line {len(lines)}: 'Frames: {frames}' but only {len(rows)} motion rows. "
            "The BVH file is truncated."
        )
    rows = rows[:frames]
    try:
        values = np.array(" ".join(rows).split(), dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and values.size == frames * n_channels:
        return values.reshape(frames, n_channels)
    # Find the offending row to name its line.
    n, seen = first, 0
    while seen < frames:
        line = lines[n]
        if line.strip():
            tokens = line.split()
            try:
                [float(t) for t in tokens]
            except ValueError:
                raise BVHParseError(
                    f"{source}, line {n + 1}: a motion value is not a number. "
                    "The BVH file is malformed."
                ) from None
            if len(tokens) != n_channels:
                raise BVHParseError(
                    f"{source}, line {n + 1}: {len(tokens)} values but the hierarchy has "
                    f"{n_channels} channels. The BVH file is malformed."
                )
            seen += 1
        n += 1
    raise BVHParseError(f"{source}: motion data does not match the hierarchy.")


def euler_matrices(angles_deg: np.ndarray, axes: str) -> np.ndarray:
    """Rotation matrices (T,3,3) for intrinsic rotations ``axes`` (e.g. "ZXY"), angles (T,k).

    BVH semantics: R = R_axes[0](a0) @ R_axes[1](a1) @ ..., applied to column vectors.
    """
    t = angles_deg.shape[0]
    out = np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
    rad = np.deg2rad(angles_deg)
    for k, axis in enumerate(axes):
        c, s = np.cos(rad[:, k]), np.sin(rad[:, k])
        m = np.zeros((t, 3, 3))
        i = "XYZ".index(axis)
        j, k2 = (i + 1) % 3, (i + 2) % 3
        m[:, i, i] = 1.0
        m[:, j, j] = c
        m[:, k2, k2] = c
        m[:, j, k2] = -s
        m[:, k2, j] = s
        out = out @ m
    return out


def local_transforms(bvh: Bvh, position: str = "replace"):
    """Per joint: local rotation (T,3,3) or None, local translation (T,3) or (3,)."""
    cols = bvh.channel_columns()
    rotations, translations = [], []
    for j, ch in enumerate(bvh.channels):
        rot = [(k, c[0]) for k, c in enumerate(ch) if c in ROTATIONS]
        pos = {c[0]: k for k, c in enumerate(ch) if c in POSITIONS}
        if rot:
            idx = cols[j][[k for k, _ in rot]]
            rotations.append(euler_matrices(bvh.motion[:, idx], "".join(a for _, a in rot)))
        else:
            rotations.append(None)
        trans = bvh.offsets[j]
        if pos:
            values = np.zeros((bvh.num_frames, 3))
            for a, k in pos.items():
                values[:, "XYZ".index(a)] = bvh.motion[:, cols[j][k]]
            if position == "add":
                trans = trans + values
            else:
                keep = [a for a in range(3) if "XYZ"[a] not in pos]
                values[:, keep] = bvh.offsets[j, keep]
                trans = values
        translations.append(trans)
    return rotations, translations


def forward_kinematics(bvh: Bvh, position: str = "replace", return_rotations: bool = False):
    """World positions (T, N, 3) of every joint (end sites included), file units and axes.

    ``position``: "replace" (channel values are the joint's local translation) or "add"
    (channel values are added to the OFFSET). With ``return_rotations`` also returns global
    rotations (T, N, 3, 3).
    """
    if position not in ("replace", "add"):
        raise ValueError(f"position must be 'replace' or 'add', not {position!r}")
    t, n = bvh.num_frames, len(bvh.names)
    rotations, translations = local_transforms(bvh, position)
    pos = np.zeros((t, n, 3))
    rot = np.zeros((t, n, 3, 3))
    eye = np.broadcast_to(np.eye(3), (t, 3, 3))
    for j in range(n):
        p = bvh.parents[j]
        local_r = eye if rotations[j] is None else rotations[j]
        trans = np.broadcast_to(translations[j], (t, 3))
        if p < 0:
            pos[:, j] = trans
            rot[:, j] = local_r
        else:
            pos[:, j] = pos[:, p] + np.einsum("tij,tj->ti", rot[:, p], trans)
            rot[:, j] = rot[:, p] @ local_r
    return (pos, rot) if return_rotations else pos


def skeleton_span(bvh: Bvh) -> float:
    """Longest leaf-to-leaf path through the tree, summing offset lengths (file units)."""
    lengths = np.linalg.norm(bvh.offsets, axis=1)
    n = len(bvh.names)
    depth = np.zeros(n)  # deepest path below each joint
    best = 0.0
    for j in range(n - 1, -1, -1):
        children = [c for c in range(n) if bvh.parents[c] == j]
        downs = sorted((depth[c] + lengths[c] for c in children), reverse=True)
        depth[j] = downs[0] if downs else 0.0
        if len(downs) >= 2:  # leaf-to-leaf paths only: a root's offset to the ground is no bone
            best = max(best, downs[0] + downs[1])
    return float(best if best > 0 else depth.max())  # an unbranched chain: its length


def detect_units(bvh: Bvh) -> tuple[str, float]:
    """Guess the file's length unit from the skeleton span: ("cm", 0.01) etc.

    Raises :class:`BVHParseError` when the span fits no human size in any known unit.
    """
    span = skeleton_span(bvh)
    for name, scale, low, high in UNITS:
        if low <= span < high:
            return name, scale
    raise BVHParseError(
        f"{bvh.path}: cannot tell the length unit (skeleton span {span:g} units is not a human "
        "size in metres, inches, centimetres or millimetres). Convert the file to centimetres."
    )
