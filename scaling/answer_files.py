"""The files of a folder of answers, found in the caller before any work goes to a cluster.

A folder of answers is read whole: its subfolders too (a linked subfolder is followed once; a
link back to a folder already read is refused), files named ``*.parquet`` or ``*.parq`` in any
case, and Hive-style partition folders (``worker_id=1042/part-0.parquet``) whose ``name=value``
supplies a column the files leave out. Names starting with ``_`` or ``.`` (``_SUCCESS``,
``.crc`` files) are skipped, though a folder that `write_answers` marked finished must still
hold the number of files its ``_SUCCESS`` counts; anything else is refused with one sentence,
as is a file to read that is no regular file (a FIFO, a device) or a link that loops or points
to nothing.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Collection, Iterator
from pathlib import Path

from scaling.answers import COLUMNS, FINISHED_MARKER, AnswersError

__all__ = ["answer_files", "check_unchanged", "fingerprints", "partition_values"]

#: File name suffixes of Parquet files, compared in lower case.
PARQUET_SUFFIXES = (".parquet", ".parq")
_PARTITION = re.compile(r"^([^=]+)=(.*)$")


def answer_files(answers_path: str | os.PathLike) -> list[Path]:
    """The Parquet files of `answers_path` (one file, or a folder read recursively), as
    absolute paths in order."""
    path = Path(answers_path).absolute()
    if not path.is_dir():
        return [_readable(path)]
    files = sorted(_walk(path, {os.path.realpath(path)}))
    for file in files:
        partition_values(file)  # a malformed partition folder is refused before any work
    if not files:
        raise AnswersError(f"{path} holds no answers: no *.parquet or *.parq file there.")
    _check_marker(path, len(files))
    return files


def _check_marker(folder: Path, n_files: int) -> None:
    """Raise `AnswersError` if `write_answers`' ``_SUCCESS`` marker in `folder` counts other
    than `n_files` files (a folder without that marker, written by other tools, passes)."""
    try:
        marked = json.loads((folder / FINISHED_MARKER).read_text()).get("files")
    except (OSError, ValueError, AttributeError):
        return
    if isinstance(marked, int) and marked != n_files:
        raise AnswersError(
            f"{folder} holds {n_files} answers files where its {FINISHED_MARKER} marker, written "
            f"by write_answers, counts {marked}: files were added or removed since; write the "
            f"folder again, or remove {FINISHED_MARKER} to read it as it is."
        )


def _walk(folder: Path, seen: set[str]) -> Iterator[Path]:
    """The answers files under `folder`, each checked; `seen`: the real paths of the folders
    already read, to which this adds those it reads."""
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            path = Path(entry.path)
            if entry.name.startswith(("_", ".")):
                continue
            if not _is_folder(entry):
                yield _checked_file(path, folder)
                continue
            real = os.path.realpath(path)
            if real in seen:
                raise AnswersError(
                    f"{path} links to {real}, a folder already read among the answers: "
                    "remove the link, or name it with a leading _ to skip it."
                )
            seen.add(real)
            yield from _walk(path, seen)


def _is_folder(entry: os.DirEntry) -> bool:
    """Whether `entry` is a folder or links to one (a link that loops is neither)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _checked_file(path: Path, folder: Path) -> Path:
    """`path`, once found to be a Parquet file that can be read; else `AnswersError`."""
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        raise AnswersError(
            f"{path} is not a Parquet file (*.parquet or *.parq) but lies among the answers "
            f"in {folder}: move it out, or name it with a leading _ to skip it."
        )
    return _readable(path)


def _readable(path: Path) -> Path:
    """`path`, once found to be a regular file (or a link to one); else `AnswersError`."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        if not path.is_symlink():
            raise AnswersError(f"{path} does not exist.") from None
        what = "loops" if error.errno == errno.ELOOP else "points to nothing"
        raise AnswersError(f"{path} is a symbolic link that {what}: remove or fix it.") from None
    if not stat.S_ISREG(mode):
        raise AnswersError(
            f"{path} is no regular file (a FIFO, socket or device), so it cannot be read as "
            "answers: move it out, or name it with a leading _ to skip it."
        )
    return path


def partition_values(path: str | os.PathLike) -> dict[str, int]:
    """The answer columns that `path`'s Hive-style folders (``worker_id=7``) give, by name."""
    values = {}
    for folder in Path(path).parent.parts:
        match = _PARTITION.match(folder)
        if match and match.group(1) in COLUMNS:
            name, value = match.groups()
            try:
                values[name] = int(value)
            except ValueError:
                raise AnswersError(
                    f"{path} lies in the partition folder {folder}, whose {name} is no integer."
                ) from None
    return values


def fingerprints(files: Collection[Path]) -> dict[Path, tuple[int, int]]:
    """Each file's size and modification time (ns): a file changed during a run changes them."""
    return {f: (f.stat().st_size, f.stat().st_mtime_ns) for f in files}


def check_unchanged(before: dict[Path, tuple[int, int]]) -> None:
    """Raise `AnswersError` if a file's size or modification time differs from `before`."""
    for file, fingerprint in before.items():
        now = fingerprints([file])[file] if file.exists() else None
        if now != fingerprint:
            raise AnswersError(
                f"{file} changed while it was being labelled (its size or modification time "
                "differs): no labels were written; rerun once the answers are final."
            )
