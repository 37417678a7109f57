"""Calling numba-compiled functions from the frame loop without the dispatcher's type checks.

A numba dispatcher resolves the types of its arguments on every call (about 25 ns an
argument); a step called every frame with the same arrays can skip that by keeping the
compiled overload for their types.
"""

from __future__ import annotations

from typing import Any


def compiled_for(dispatcher: Any, args: tuple[Any, ...]) -> Any:
    """The compiled function of the numba ``dispatcher`` for the types of ``args`` (compiled
    first if need be), to be called directly with arguments of those types: it skips the
    dispatcher's resolution of the types. A caller keeps it with the arrays it was resolved
    for, and resolves again when one of them is replaced (an argument of another type given
    to it is not checked)."""
    from numba import typeof

    sig = tuple(typeof(a) for a in args)
    dispatcher.compile(sig)
    return dispatcher.get_overload(sig)
