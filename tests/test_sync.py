"""tools/sync_notebooks.py: a notebook is executed again exactly when its inputs changed."""

from __future__ import annotations

import importlib.util

import nbformat

from conftest import ROOT, TUTORIAL

spec = importlib.util.spec_from_file_location(
    "sync_notebooks", ROOT / "tools" / "sync_notebooks.py"
)
sync_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_notebooks)
FOLDERS = sync_notebooks.NOTEBOOKS[TUTORIAL]


def test_the_stored_tutorial_was_executed_with_todays_inputs():
    stored = nbformat.read(TUTORIAL, as_version=4)
    digest = sync_notebooks.inputs_digest(stored, FOLDERS)
    assert stored.metadata["tutorial"][sync_notebooks.KEY] == digest


def test_code_changes_the_digest_and_prose_does_not():
    stored = nbformat.read(TUTORIAL, as_version=4)
    digest = sync_notebooks.inputs_digest(stored, FOLDERS)
    markdown = next(c for c in stored.cells if c.cell_type == "markdown")
    markdown.source += "\nOne more sentence."
    assert sync_notebooks.inputs_digest(stored, FOLDERS) == digest
    code = next(c for c in stored.cells if c.cell_type == "code")
    code.source += "\nsplit_seed = 7"
    assert sync_notebooks.inputs_digest(stored, FOLDERS) != digest


def test_module_changes_the_digest(tmp_path, monkeypatch):
    stored = nbformat.read(TUTORIAL, as_version=4)
    for name in ("crowdsourcing", "scaling", "requirements.txt"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.setattr(sync_notebooks, "ROOT", tmp_path)
    digest = sync_notebooks.inputs_digest(stored, FOLDERS)
    (tmp_path / "crowdsourcing").unlink()
    (tmp_path / "crowdsourcing").mkdir()
    for path in (ROOT / "crowdsourcing").glob("*.py"):
        (tmp_path / "crowdsourcing" / path.name).write_bytes(path.read_bytes())
    assert sync_notebooks.inputs_digest(stored, FOLDERS) == digest
    with open(tmp_path / "crowdsourcing" / "report.py", "a") as f:
        f.write("\n# a change\n")
    assert sync_notebooks.inputs_digest(stored, FOLDERS) != digest
