"""Every notebook in notebooks/ runs top to bottom on the bundled samples (nbclient).

The source of each notebook is its jupytext percent script beside it (``notebooks/NAME.py``,
linted with the package); ``make notebooks`` writes the ``.ipynb`` from it, and a test checks that
the committed ``.ipynb`` is what the script produces.

The kernel is "python3", which must be the venv's own (``make test`` runs
``python -m ipykernel install --sys-prefix``); the test checks that it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {
        "quickstart.ipynb",
        "local_server.ipynb",
        "smoothing.ipynb",
        "kinematics.ipynb",
        "repetitions_gait.ipynb",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_what_its_source_makes(path: Path):
    source = path.with_suffix(".py")
    assert source.is_file(), f"{path.name} has no jupytext source {source.name}"
    made = jupytext.read(source)
    committed = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in made.cells
    ], f"{path.name} differs from {source.name}: run `make notebooks`"


def test_every_notebook_source_has_its_notebook():
    sources = {p.stem for p in (ROOT / "notebooks").glob("*.py")}
    assert sources == {p.stem for p in NOTEBOOKS}


def test_python3_kernel_is_this_venv():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    exe = spec.argv[0]
    if exe in ("python", "python3", "{python}"):
        return  # ipykernel's built-in spec: runs sys.executable
    out = subprocess.run(
        [exe, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True
    )
    assert Path(out.stdout.strip()).resolve() == Path(sys.prefix).resolve(), (
        f"kernel 'python3' runs {exe}, not this venv; run `{sys.executable} -m ipykernel install --sys-prefix`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path):
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{path.name} is stored with outputs; regenerate it with `make notebooks`"
    )
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed:\n{str(exc)[-4000:]}")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # the figures were drawn and, in the quickstart, the Player is the last output (a widget)
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    if path.name == "local_server.ipynb":  # no figures: the answers themselves are the point
        text = json.dumps([c.get("outputs", []) for c in nb.cells])
        assert "success {'fps': 60.0, 'frames': 100" in text
        assert "Not authorized with provided app key" in text
        assert "PoseResult(video, 100 frames with people" in text
    else:
        assert images >= 1
    if path.name == "quickstart.ipynb":
        last = nb.cells[-1]["outputs"][-1]["data"]
        view = last["application/vnd.jupyter.widget-view+json"]
        assert view["model_id"]
        json.dumps(nb.metadata.get("widgets", {}))
