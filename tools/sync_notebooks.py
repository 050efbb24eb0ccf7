"""Carry edits of the paired scripts into the notebooks, and re-execute only what changed.

    python tools/sync_notebooks.py [--force] [notebook ...]

Each notebook records a SHA-256 of what its outputs depend on: its code cells, the helper
packages it imports and requirements.txt. A notebook whose record matches is left as it is; any
other is executed in place (in its own folder, with no per-cell timestamps), so a stored notebook
changes only where its inputs changed.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import nbformat
from jupytext.cli import jupytext as jupytext_cli
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
#: Each notebook, and the folders of the modules its outputs depend on.
NOTEBOOKS = {
    ROOT / "crowdsourcing" / "crowdsourcing.ipynb": ["crowdsourcing"],
    ROOT / "scaling" / "scaling_tutorial.ipynb": ["crowdsourcing", "scaling"],
}
KEY = "inputs_sha256"


def inputs_digest(notebook: nbformat.NotebookNode, folders: list[str]) -> str:
    """SHA-256 of the notebook's code cells, the modules in `folders` and requirements.txt."""
    digest = hashlib.sha256()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode() + b"\0")
    modules = sorted(p for folder in folders for p in (ROOT / folder).glob("*.py"))
    for path in [*modules, ROOT / "requirements.txt"]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def sync(path: Path, folders: list[str], force: bool = False) -> bool:
    """Sync `path` with its paired script; execute it if its inputs changed. True if executed."""
    jupytext_cli(["--sync", "--quiet", str(path)])
    notebook = nbformat.read(path, as_version=4)
    digest = inputs_digest(notebook, folders)
    if not force and notebook.metadata.get("tutorial", {}).get(KEY) == digest:
        return False
    NotebookClient(notebook, resources={"metadata": {"path": str(path.parent)}},
                   record_timing=False).execute()  # fmt: skip
    notebook.metadata.setdefault("tutorial", {})[KEY] = digest
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, tmp)
    tmp.replace(path)  # a failed run above leaves the stored notebook as it was
    jupytext_cli(["--sync", "--quiet", str(path)])
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: all the tutorials")
    parser.add_argument("--force", action="store_true", help="execute even if nothing changed")
    args = parser.parse_args()
    chosen = [p.resolve() for p in args.notebooks] or list(NOTEBOOKS)
    unknown = [p for p in chosen if p not in NOTEBOOKS]
    if unknown:
        parser.error(f"not a tutorial notebook: {', '.join(map(str, unknown))}")
    failed = False
    for path in chosen:
        try:
            state = "executed" if sync(path, NOTEBOOKS[path], args.force) else "up to date"
        except CellExecutionError as err:
            failed, state = True, f"a cell failed, the stored notebook is left as it was:\n{err}"
        print(f"{path.relative_to(ROOT)}: {state}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
