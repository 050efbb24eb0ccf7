"""An output folder's life, and the Parquet parts written into it.

`atomic_folder` hands out a new temporary sibling of the output path and publishes it under that
path only once the work inside has succeeded (and an optional check passed): a run that fails or
is interrupted leaves nothing behind, and the folders of a run killed outright are removed by the
next run on the same host. `write_part` is the one Parquet part writer of the scaling route.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["atomic_folder", "part_name", "refuse_existing", "write_part"]

#: Times a publication is tried again when other runs publish to the same path meanwhile.
PUBLISH_ATTEMPTS = 20
#: Errors of renaming a folder onto a path that another run has just filled.
_TAKEN = (errno.ENOTEMPTY, errno.EEXIST)


@contextmanager
def atomic_folder(
    path: str | os.PathLike,
    overwrite: bool = False,
    check: Callable[[], None] | None = None,
    *,
    replace_empty: bool = False,
    what: str = "the output",
) -> Iterator[Path]:
    """A temporary folder beside `path`, renamed to `path` once the block succeeds and `check()`
    (if given) returns; removed otherwise.

    An existing `path` is refused (`FileExistsError`) unless `overwrite`, or it is an empty
    folder and `replace_empty`; it is replaced only when the new folder is complete. `what` is
    the output's name in an error about the temporary folder.
    """
    path = Path(path).absolute()
    refuse_existing(path, overwrite, replace_empty)
    temporary = _temporary_folder(path, what)
    try:
        yield temporary
        if check is not None:
            check()
        _publish(temporary, path, overwrite, replace_empty)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def refuse_existing(path: Path, overwrite: bool, replace_empty: bool = False) -> None:
    """Raise `FileExistsError` if `path` exists and may not be replaced."""
    if overwrite or not (path.exists() or path.is_symlink()):
        return
    if replace_empty and path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
        return
    raise FileExistsError(
        f"{path} already exists: pass overwrite=True to replace it, or another path."
    )


def part_name(part: int) -> str:
    """The file name of part `part` of an output folder."""
    return f"part-{part:05d}.parquet"


def write_part(table: pd.DataFrame | pa.Table, folder: str | os.PathLike, part: int) -> Path:
    """Write `table` (without a pandas index) as the Parquet file of part `part` in `folder`.

    An `OSError` names the file.
    """
    out = Path(folder) / part_name(part)
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    try:
        pq.write_table(table, out)
    except OSError as error:
        raise OSError(error.errno, f"Cannot write the file {out}: {error}") from error
    return out


def _temporary_folder(path: Path, what: str) -> Path:
    """A new temporary sibling of `path` (its parents made), once the temporary folders that
    killed runs on this host left beside `path` are removed; `OSError` naming `path` if the
    folder cannot be made."""
    _remove_stale(path)
    temporary = path.with_name(f".{path.name}.partial-{_owner()}")
    try:
        temporary.mkdir(parents=True)
        (temporary / ".writable").touch()
        (temporary / ".writable").unlink()
    except OSError as error:
        raise OSError(
            error.errno, f"Cannot write {what} beside {path}: {error.strerror}"
        ) from error
    return temporary


def _owner() -> str:
    """This run's mark in its temporary names: host, process id and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _remove_stale(path: Path) -> None:
    """Remove `path`'s temporary siblings left by runs on this host that no longer run, and
    those whose names carry no owner."""
    host = socket.gethostname()
    for kind in ("partial", "old"):
        prefix = f".{path.name}.{kind}-"
        if not path.parent.is_dir():
            return
        for stale in path.parent.glob(f"{prefix}*"):
            owner = stale.name.removeprefix(prefix).rsplit("-", 2)
            if len(owner) < 3 or (owner[0] == host and not _alive(owner[1])):
                _remove(stale)


def _alive(pid: str) -> bool:
    """Whether a process of id `pid` runs on this host."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _publish(temporary: Path, path: Path, overwrite: bool, replace_empty: bool) -> None:
    """Rename the complete `temporary` folder to `path`, first moving aside and then removing
    what is there; if another run publishes to `path` between the two renames, try again (the
    last run to publish wins). Nothing is left beside `path` either way."""
    for _ in range(PUBLISH_ATTEMPTS):
        refuse_existing(path, overwrite, replace_empty)
        old = _set_aside(path)
        try:
            temporary.rename(path)
        except BaseException as error:
            if old is not None:
                _put_back(old, path)
            if isinstance(error, OSError) and error.errno in _TAKEN:
                continue  # another run published between the two renames
            raise
        if old is not None:
            _remove(old)
        return
    raise OSError(
        errno.EBUSY,
        f"Other runs kept publishing to {path} while this one tried {PUBLISH_ATTEMPTS} times; "
        "this run's output was not published",
    )


def _set_aside(path: Path) -> Path | None:
    """Rename what is at `path` to a temporary sibling, and return that (None if nothing)."""
    if not (path.exists() or path.is_symlink()):
        return None
    old = path.with_name(f".{path.name}.old-{_owner()}")
    try:
        path.rename(old)
    except FileNotFoundError:  # another run has just moved it
        return None
    return old


def _put_back(old: Path, path: Path) -> None:
    """Rename `old` back to `path` if `path` is free, else remove it."""
    try:
        old.rename(path)
    except OSError:
        _remove(old)


def _remove(path: Path) -> None:
    """Remove a folder or a file (a link, not what it points to)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
