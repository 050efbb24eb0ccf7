"""An output folder appears whole or not at all, and nothing is left beside it, whatever fails
and whoever else publishes to the same path; the Parquet part writer names the file it fails on."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scaling.output_folder import atomic_folder, write_part


def fill(folder: Path, text: str) -> None:
    """One file in `folder` that says which run wrote it."""
    (folder / "run.txt").write_text(text)


def run_of(folder: Path) -> str:
    """Which run wrote `folder`."""
    return (folder / "run.txt").read_text()


def test_the_folder_appears_only_once_complete(tmp_path):
    with atomic_folder(tmp_path / "out") as temporary:
        fill(temporary, "new")
        assert not (tmp_path / "out").exists()
    assert run_of(tmp_path / "out") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("failure", [ValueError, KeyboardInterrupt])
def test_a_failure_keeps_the_old_folder_and_leaves_nothing_else(tmp_path, failure):
    with atomic_folder(tmp_path / "out") as temporary:
        fill(temporary, "old")
    with pytest.raises(failure), atomic_folder(tmp_path / "out", overwrite=True) as temporary:
        fill(temporary, "new")
        raise failure
    assert run_of(tmp_path / "out") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_check_publishes_nothing(tmp_path):
    def changed() -> None:
        raise RuntimeError("the input changed")

    with pytest.raises(RuntimeError), atomic_folder(tmp_path / "out", check=changed) as temporary:
        fill(temporary, "new")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_path_is_refused_unless_overwritten(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(FileExistsError, match="already exists: pass overwrite=True"):
        with atomic_folder(tmp_path / "out"):
            pass
    with atomic_folder(tmp_path / "out", replace_empty=True) as temporary:
        fill(temporary, "new")
    assert run_of(tmp_path / "out") == "new"


def test_a_lost_race_between_the_two_renames_leaves_the_last_publisher(tmp_path, monkeypatch):
    out, rename, raced = tmp_path / "out", os.rename, []
    with atomic_folder(out) as temporary:
        fill(temporary, "first")

    def slow_rename(source, target, *args, **kwargs):
        rename(source, target, *args, **kwargs)
        if Path(target).name.startswith(".out.old-") and not raced:
            raced.append(target)
            with atomic_folder(out, overwrite=True) as other:
                fill(other, "other")

    monkeypatch.setattr(os, "rename", slow_rename)
    with atomic_folder(out, overwrite=True) as temporary:
        fill(temporary, "last")
    assert raced and run_of(out) == "last"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    out, rename = tmp_path / "out", os.rename
    with atomic_folder(out) as temporary:
        fill(temporary, "old")

    def refused(source, target, *args, **kwargs):
        if Path(source).name.startswith(".out.partial-"):
            raise OSError(errno.EACCES, "Permission denied")
        rename(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "rename", refused)
    with pytest.raises(PermissionError), atomic_folder(out, overwrite=True) as temporary:
        fill(temporary, "new")
    assert run_of(out) == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_folders_left_by_killed_runs_on_this_host_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True).stdout.strip()  # fmt: skip
    host = socket.gethostname()
    stale = [f".out.partial-{host}-{dead}-0badc0de", f".out.old-{host}-{dead}-0badc0de"]
    running = [f".out.partial-{host}-{os.getpid()}-5eed5eed", ".out.old-elsewhere-1-ab"]
    for name in stale + running:
        (tmp_path / name).mkdir()
    with atomic_folder(tmp_path / "out") as temporary:
        fill(temporary, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", *running])


def test_the_part_writer_names_the_file_it_cannot_write(tmp_path):
    (tmp_path / "part-00003.parquet").mkdir()  # a folder where the file should go
    with pytest.raises(OSError) as error:
        write_part(pd.DataFrame({"a": [1]}), tmp_path, 3)
    assert f"Cannot write the file {tmp_path / 'part-00003.parquet'}" in str(error.value)
