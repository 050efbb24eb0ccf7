"""tools/sync_notebooks.py: a notebook is executed again exactly when its inputs changed, and
the tool says what it wrote."""

from __future__ import annotations

import os

import jupytext
import nbformat
import pytest

from conftest import ROOT, SCALING_TUTORIAL, TUTORIAL, sync_notebooks

FOLDERS = sync_notebooks.NOTEBOOKS[TUTORIAL]


@pytest.mark.parametrize("notebook", [TUTORIAL, SCALING_TUTORIAL], ids=lambda p: p.name)
def test_the_stored_notebook_was_executed_with_todays_inputs(notebook):
    stored = nbformat.read(notebook, as_version=4)
    digest = sync_notebooks.inputs_digest(stored, sync_notebooks.NOTEBOOKS[notebook])
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


def test_changed_outputs_names_timing_cells_apart():
    before = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a"), _timed("b")])
    after = nbformat.from_dict(before)
    assert sync_notebooks.changed_outputs(before, after) == "outputs unchanged"
    after = nbformat.from_dict(before)
    after.cells[1].outputs = [nbformat.v4.new_output("stream", text="2 s")]
    assert sync_notebooks.changed_outputs(before, after) == "outputs changed in timing cells 2"
    after.cells[0].outputs = [nbformat.v4.new_output("stream", text="0.9")]
    assert sync_notebooks.changed_outputs(before, after) == (
        "outputs changed in timing cells 2 and cells 1, which are not timings"
    )
    after.cells[0].source = "c"
    assert "code changed" in sync_notebooks.changed_outputs(before, after)


def _timed(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata={"tags": [sync_notebooks.TIMINGS]})


@pytest.mark.slow
def test_sync_says_what_it_wrote_and_runs_the_kernel_without_tcp(tmp_path, monkeypatch, capfd):
    """Executed, up to date, updated from the script, re-executed, or executed into a folder."""
    monkeypatch.setattr(sync_notebooks, "ROOT", tmp_path)
    (tmp_path / "requirements.txt").write_text("")
    (tmp_path / "pkg").mkdir()
    notebook = tmp_path / "nb.ipynb"
    cells = [
        nbformat.v4.new_markdown_cell("A sentence."),
        nbformat.v4.new_code_cell("print(1 + 1)"),
        _timed("import time\nprint(time.perf_counter_ns())"),
    ]
    metadata = {
        "jupytext": {"formats": "ipynb,py:percent"},
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    }
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=metadata), notebook)

    def sync(force: bool = False) -> str:
        return sync_notebooks.sync(notebook, ["pkg"], force).removeprefix("nb.ipynb: ")

    assert sync() == "nb.py written by jupytext; executed and stored; outputs changed in " + (
        "timing cells 2 and cells 1, which are not timings"
    )
    assert sync() == "outputs up to date (code, modules and requirements unchanged)"
    script = tmp_path / "nb.py"
    script.write_text(script.read_text().replace("A sentence.", "Another sentence."))
    os.utime(script, (notebook.stat().st_mtime + 5,) * 2)
    assert sync().startswith("notebook updated from its script by jupytext; outputs up")
    assert jupytext.read(notebook).cells[0].source == "Another sentence."
    assert sync(force=True) == "executed and stored; outputs changed in timing cells 2"
    stored = notebook.read_bytes()
    assert sync_notebooks.run_into(notebook, tmp_path / "build") == (
        f"nb.ipynb: executed into {tmp_path / 'build' / 'nb.ipynb'};"
        " against the stored notebook, outputs changed in timing cells 2"
    )
    assert notebook.read_bytes() == stored
    out, err = capfd.readouterr()
    assert "nb.ipynb: cell 2 of 2 done" in out
    assert "TCP" not in out + err and "Warning" not in out + err, err


def test_the_scaling_scripts_prose_does_not_change_its_digest(tmp_path, monkeypatch):
    """The paired script lies among the modules of scaling/: only its code cells count."""
    stored = nbformat.read(SCALING_TUTORIAL, as_version=4)
    folders = sync_notebooks.NOTEBOOKS[SCALING_TUTORIAL]
    for name in ("crowdsourcing", "requirements.txt"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "scaling").mkdir()
    for path in (ROOT / "scaling").glob("*.py"):
        (tmp_path / "scaling" / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(sync_notebooks, "ROOT", tmp_path)
    monkeypatch.setattr(sync_notebooks, "NOTEBOOKS", {tmp_path / "scaling" / "nb.ipynb": folders})
    (tmp_path / "scaling" / "nb.py").write_text("# %% [markdown]\n# A sentence.\n")
    digest = sync_notebooks.inputs_digest(stored, folders)
    (tmp_path / "scaling" / "nb.py").write_text("# %% [markdown]\n# Another sentence.\n")
    assert sync_notebooks.inputs_digest(stored, folders) == digest
    (tmp_path / "scaling" / "steps.py").write_text("# a change\n")
    assert sync_notebooks.inputs_digest(stored, folders) != digest


def test_prints_are_stored_as_one_output_however_they_were_flushed():
    """Two prints of a cell can reach the notebook as one stream message or two, by timing."""
    cell = nbformat.v4.new_code_cell("print(1); print(2)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("stream", name="stdout", text="2\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "3"}, execution_count=1),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    sync_notebooks.coalesce(notebook)
    assert [o.output_type for o in notebook.cells[0].outputs] == ["stream", "execute_result"]
    assert notebook.cells[0].outputs[0].text == "1\n2\n"
