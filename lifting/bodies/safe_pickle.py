"""A restricted unpickler for SMPL ``.pkl`` model files (Python-2 pickles, latin-1 strings).

A pickle can name any importable callable and have it called while loading, so a pickle from
the internet is a program. This reader admits only what SMPL files are made of: NumPy array
and dtype reconstruction, latin-1 bytes, plain containers (``set``, ``object`` as a base),
SciPy's CSC/CSR sparse matrices and chumpy's ``Ch`` arrays. It never imports SciPy or chumpy:
sparse matrices and ``Ch`` objects become :class:`SparseStandIn` / :class:`ChStandIn`, which
only keep the state the pickle hands them. Anything else raises :class:`UnsafePickleError`
before it can run.
"""

from __future__ import annotations

import copyreg
import io
import pickle

import numpy as np

from ..errors import UnsafePickleError

_ARRAY_RECONSTRUCT = np.zeros(1).__reduce__()[0]  # numpy's own _reconstruct, any numpy version
_SCALAR = np.float64(0).__reduce__()[0]


class ChStandIn:
    """What a chumpy ``Ch`` becomes: its pickled state, with the array ``x`` in it."""

    def __setstate__(self, state):
        self.state = state

    def array(self) -> np.ndarray:
        """The value (``state['x']``) as a NumPy array."""
        state = getattr(self, "state", None)
        value = state.get("x") if isinstance(state, dict) else None
        if isinstance(value, ChStandIn):
            return value.array()
        if value is None:
            raise UnsafePickleError("A chumpy array in this pickle has no value ('x') to read.")
        return np.asarray(value)


class SparseStandIn:
    """What a SciPy CSC/CSR matrix becomes: ``data``, ``indices``, ``indptr`` and the shape."""

    compressed_axis = 1  # CSC: indptr runs over columns

    def __setstate__(self, state):
        self.state = state

    def toarray(self) -> np.ndarray:
        """The matrix as a dense float64 array."""
        s = self.state if isinstance(getattr(self, "state", None), dict) else {}
        try:
            shape = tuple(int(n) for n in s.get("_shape", s.get("shape")))
            data, indices, indptr = (np.asarray(s[k]) for k in ("data", "indices", "indptr"))
        except (KeyError, TypeError) as err:
            raise UnsafePickleError(
                f"A sparse matrix in this pickle is incomplete ({err})."
            ) from None
        out = np.zeros(shape)
        counts = np.diff(indptr)
        outer = np.repeat(np.arange(len(counts)), counts)
        if self.compressed_axis == 1:
            out[indices, outer] = data
        else:
            out[outer, indices] = data
        return out


class CsrStandIn(SparseStandIn):
    compressed_axis = 0


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` limited to the stand-ins (and ``object``)."""
    if cls not in (ChStandIn, SparseStandIn, CsrStandIn) or base is not object:
        raise UnsafePickleError(f"The pickle asks to build {cls!r}, which is not allowed.")
    return object.__new__(cls)


def _encode(text, encoding="utf-8"):
    """``_codecs.encode`` for text → bytes only (how Python 3 pickles bytes at protocol 2)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError("The pickle calls codecs.encode in a way SMPL files never do.")
    return text.encode("latin1")


_ALLOWED = {
    ("_codecs", "encode"): _encode,
    ("numpy.core.multiarray", "_reconstruct"): _ARRAY_RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _ARRAY_RECONSTRUCT,
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("copy_reg", "_reconstructor"): _reconstructor,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("__builtin__", "object"): object,
    ("builtins", "object"): object,
    ("__builtin__", "set"): set,
    ("builtins", "set"): set,
    ("chumpy.ch", "Ch"): ChStandIn,
    ("chumpy", "Ch"): ChStandIn,
}
for _mod in ("scipy.sparse.csc", "scipy.sparse._csc"):
    _ALLOWED[(_mod, "csc_matrix")] = SparseStandIn
for _mod in ("scipy.sparse.csr", "scipy.sparse._csr"):
    _ALLOWED[(_mod, "csr_matrix")] = CsrStandIn
assert copyreg  # the allow-list names copyreg's function; ours replaces it


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` only answers from the allow-list."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"This pickle wants '{module}.{name}', which an SMPL model file never needs; it "
                "was not loaded (it may run code). Use the model file from the SMPL website, or "
                "convert it to .npz with a tool you trust."
            ) from None

    def persistent_load(self, pid):
        raise UnsafePickleError("The pickle refers to external objects; it was not loaded.")


def safe_load(data: bytes):
    """Unpickle ``data`` (Python 2 or 3, latin-1 strings) with :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


def plain(value):
    """``value`` with stand-ins turned into NumPy arrays (dicts, lists and tuples walked)."""
    if isinstance(value, ChStandIn):
        return value.array()
    if isinstance(value, SparseStandIn):
        return value.toarray()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value
