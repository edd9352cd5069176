"""The one place that knows about numba: ``jit`` compiles a function (cached on disk) when numba
is installed and returns it unchanged otherwise, so every formula stays plain, readable Python.
Set ``NUMBA_DISABLE_JIT=1`` to run everything as pure Python (slow, handy for debugging)."""

from __future__ import annotations

try:  # numba is a run-time requirement; the fallback only keeps imports working without it
    from numba import njit as _njit
except ImportError:  # pragma: no cover
    _njit = None



def jit(fn=None, *, inline: bool = False):
    """``@jit`` compiles a function; ``@jit(inline=True)`` also inlines it into compiled callers
    (numba IR inlining: for the small functions the inner loop calls every step)."""
    if fn is None:
        return lambda f: jit(f, inline=inline)
    if _njit is None:  # pragma: no cover
        return fn
    return _njit(cache=True, nogil=True, error_model="numpy", no_cfunc_wrapper=True,
                 inline="always" if inline else "never")(fn)


def py(fn):
    """The plain-Python function behind a compiled one (for vectorised numpy use)."""
    return getattr(fn, "py_func", fn)
