"""Checks of a notebook's parameters, for the cell after its parameters cell.

Each check returns the value it accepts, or raises `ParameterError` with one sentence that names
the parameter and what it accepts, before any work is done. Only the standard library is used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from numbers import Integral
from pathlib import Path

__all__ = ["ParameterError", "choice", "count", "output_file", "seed", "text"]

#: Seeds that numpy and pandas (`random_state`) accept: 0 to 2**32 - 1.
MAX_SEED = 2**32 - 1


class ParameterError(ValueError):
    """A notebook parameter that the notebook cannot use."""


def _shown(value: object) -> str:
    """`value` as a reader wrote it, with its type when its repr hides it (1.0 and '1' differ)."""
    return f"{value!r} ({type(value).__name__})"


def _is_integer(value: object) -> bool:
    """Whether `value` is an integer: Python's or numpy's, but not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def count(name: str, value: object, minimum: int = 1, most: tuple[str, int] | None = None) -> int:
    """`value` if it is an integer (not a bool, a float or a string) of at least `minimum`, and
    at most the value of another parameter when `most` is that parameter's (name, value)."""
    if not _is_integer(value) or value < minimum or (most is not None and value > most[1]):
        accepts = f"from {minimum} to {most[0]} ({most[1]})" if most else f"of at least {minimum}"
        raise ParameterError(f"{name} must be an integer {accepts}, not {_shown(value)}.")
    return int(value)


def seed(name: str, value: object) -> int:
    """`value` if it is an integer seed that numpy and pandas accept (0 to 2**32 - 1)."""
    if not _is_integer(value) or not 0 <= value <= MAX_SEED:
        raise ParameterError(
            f"{name} must be an integer seed from 0 to {MAX_SEED:,}, not {_shown(value)}."
        )
    return int(value)


def text(name: str, value: object) -> str:
    """`value` if it is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{name} must be a non-empty string, not {_shown(value)}.")
    return value


def choice(name: str, value: object, options: Collection[str]) -> str:
    """`value` if it is one of `options`."""
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{name} must be one of {listed}, not {_shown(value)}.")
    return value


def output_file(name: str, value: object) -> Path | None:
    """None, or `value` as an absolute path if its folder exists and accepts a new file there.

    The path is resolved against the working folder now, so a later change of folder (or a
    worker elsewhere) writes where the reader meant. Writing is tried with a temporary file,
    which is removed at once: permissions alone do not tell (root, ACLs, read-only mounts).
    """
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise ParameterError(f"{name} must be None or a file path, not {_shown(value)}.")
    path = Path(value).expanduser().absolute()
    if path.is_dir():
        raise ParameterError(f"{name} must be a file path, and {path} is a folder.")
    if not path.parent.is_dir():
        raise ParameterError(
            f"{name} must be a file in an existing folder, and {path.parent} is not one."
        )
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}."):
            pass
    except OSError as err:
        raise ParameterError(
            f"{name} must be a file in a folder this process can write to, and {path.parent} "
            f"refuses a new file ({err.strerror})."
        ) from err
    return path
