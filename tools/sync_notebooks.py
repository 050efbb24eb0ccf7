"""Carry edits of the paired scripts into the notebooks, and re-execute only what changed.

    python tools/sync_notebooks.py [--force] [notebook ...]
    python tools/sync_notebooks.py --output-dir build [notebook ...]

Each notebook records a SHA-256 of what its outputs depend on: its code cells, the helper
packages it imports and requirements.txt. A notebook whose record matches is left as it is; any
other is executed in place (in its own folder, with no per-cell timestamps), so a stored notebook
changes only where its inputs changed. Each notebook's line says what was written: which file
jupytext updated from its pair, and after an execution which cells' outputs changed (timings are
the cells tagged "timings"). `--output-dir` executes the notebooks into that folder instead,
always, and leaves the stored ones alone.
"""

from __future__ import annotations

import argparse
import hashlib
import time
import uuid
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from jupytext.cli import jupytext as jupytext_cli
from jupytext.paired_paths import paired_paths
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from traitlets import default

ROOT = Path(__file__).resolve().parents[1]
#: Each notebook, and the folders of the modules its outputs depend on.
NOTEBOOKS = {
    ROOT / "crowdsourcing" / "crowdsourcing.ipynb": ["crowdsourcing"],
    ROOT / "scaling" / "scaling_tutorial.ipynb": ["crowdsourcing", "scaling"],
}
KEY = "inputs_sha256"
TIMINGS = "timings"  # the tag of the cells whose outputs are timings


class LocalKernelManager(AsyncKernelManager):
    """A kernel on this machine reached through Unix sockets: no TCP port, nothing to eavesdrop."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        # The sockets' path prefix must be absolute: the kernel runs in the notebook's folder.
        folder = Path(jupyter_runtime_dir())
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return str(folder / f"kernel-{uuid.uuid4().hex}-ipc")


def inputs_digest(notebook: nbformat.NotebookNode, folders: list[str]) -> str:
    """SHA-256 of the notebook's code cells, the modules in `folders` (not a paired script) and
    requirements.txt."""
    digest = hashlib.sha256()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode() + b"\0")
    # The paired scripts count through the notebook's code cells, so their prose does not.
    scripts = {p.with_suffix(s) for p in NOTEBOOKS for s in (".py", ".pct.py")}
    modules = sorted(p for f in folders for p in (ROOT / f).glob("*.py") if p not in scripts)
    for path in [*modules, ROOT / "requirements.txt"]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def execute(notebook: nbformat.NotebookNode, folder: Path, name: str) -> None:
    """Execute `notebook` in `folder`, printing each code cell's time as it finishes."""
    total = sum(cell.cell_type == "code" for cell in notebook.cells)
    started = time.perf_counter()

    def progress(cell, cell_index, execute_reply) -> None:
        count = cell.get("execution_count")
        print(
            f"  {name}: cell {count} of {total} done, {time.perf_counter() - started:.0f} s",
            flush=True,
        )

    NotebookClient(
        notebook,
        resources={"metadata": {"path": str(folder)}},
        record_timing=False,
        kernel_manager_class=LocalKernelManager,
        on_cell_executed=progress,
    ).execute()
    coalesce(notebook)


def coalesce(notebook: nbformat.NotebookNode) -> None:
    """Merge each code cell's consecutive stream outputs of one name, so that prints store the
    same outputs however the kernel happened to flush them."""
    CoalesceStreamsPreprocessor().preprocess(notebook, {})


def changed_outputs(before: nbformat.NotebookNode, after: nbformat.NotebookNode) -> str:
    """Which code cells' outputs differ between two executions, numbered as executed (In [n])."""
    pairs = list(zip(_code(before), _code(after), strict=False))
    if len(_code(before)) != len(_code(after)) or any(a.source != b.source for a, b in pairs):
        return "its code changed, so all its outputs are new"
    timings, others = [], []
    for number, (old, new) in enumerate(pairs, start=1):
        if old.outputs != new.outputs:
            (timings if TIMINGS in new.metadata.get("tags", []) else others).append(str(number))
    parts = [f"timing cells {', '.join(timings)}"] if timings else []
    parts += [f"cells {', '.join(others)}, which are not timings"] if others else []
    return f"outputs changed in {' and '.join(parts)}" if parts else "outputs unchanged"


def _code(notebook: nbformat.NotebookNode) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def jupytext_sync(path: Path) -> str:
    """Sync `path` with its paired script; say which of the two jupytext rewrote, if any."""
    formats = nbformat.read(path, as_version=4).metadata.get("jupytext", {}).get("formats")
    pair = [Path(p) for p, _ in paired_paths(str(path), "ipynb", formats)] if formats else [path]
    before = {p: p.read_bytes() if p.exists() else None for p in pair}
    jupytext_cli(["--sync", "--quiet", str(path)])
    updated = [p for p in pair if p.read_bytes() != before[p]]
    if not updated:
        return ""
    if updated == [path]:
        return "notebook updated from its script by jupytext; "
    return f"{', '.join(p.relative_to(ROOT).as_posix() for p in updated)} written by jupytext; "


def sync(path: Path, folders: list[str], force: bool = False) -> str:
    """Sync `path` with its paired script; execute it if its inputs changed. Say what was done."""
    rel = path.relative_to(ROOT)
    synced = jupytext_sync(path)
    notebook = nbformat.read(path, as_version=4)
    digest = inputs_digest(notebook, folders)
    if not force and notebook.metadata.get("tutorial", {}).get(KEY) == digest:
        return f"{rel}: {synced}outputs up to date (code, modules and requirements unchanged)"
    before = nbformat.read(path, as_version=4)
    execute(notebook, path.parent, rel.name)
    notebook.metadata.setdefault("tutorial", {})[KEY] = digest
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, tmp)
    tmp.replace(path)  # a failed run above leaves the stored notebook as it was
    jupytext_cli(["--sync", "--quiet", str(path)])
    return f"{rel}: {synced}executed and stored; {changed_outputs(before, notebook)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all the tutorials")
    parser.add_argument("--force", action="store_true", help="execute even if nothing changed")
    parser.add_argument(
        "--output-dir", type=Path, help="execute into this folder, leaving the stored notebooks"
    )
    args = parser.parse_args()
    chosen = [p.resolve() for p in args.notebooks] or list(NOTEBOOKS)
    unknown = [p for p in chosen if p not in NOTEBOOKS]
    if unknown:
        parser.error(f"not a tutorial notebook: {', '.join(map(str, unknown))}")
    failed = False
    for path in chosen:
        try:
            print(
                run_into(path, args.output_dir)
                if args.output_dir
                else sync(path, NOTEBOOKS[path], args.force)
            )
        except CellExecutionError as err:
            failed = True
            print(
                f"{path.relative_to(ROOT)}: a cell failed, so its outputs were not stored:\n{err}"
            )
    if failed:
        raise SystemExit(1)


def run_into(path: Path, folder: Path) -> str:
    """Execute the stored notebook `path` into `folder`; say where it went and how it differs."""
    notebook = nbformat.read(path, as_version=4)
    execute(notebook, path.parent, path.name)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / path.name)
    stored = nbformat.read(path, as_version=4)
    return (
        f"{path.relative_to(ROOT)}: executed into {folder / path.name};"
        f" against the stored notebook, {changed_outputs(stored, notebook)}"
    )


if __name__ == "__main__":
    main()
