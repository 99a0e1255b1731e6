"""A chapter rerun as a researcher would rerun it: jupytext, then papermill
with other parameters. Its figures must be visible in the executed notebook
(not only glued for the book), its text must describe the run it shows, and
its checks must fail when the networks are under-trained."""

from __future__ import annotations

from pathlib import Path

import jupytext
import papermill
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_rerun_with_other_trials_shows_figures_and_matching_text(tmp_path, monkeypatch):
    monkeypatch.setenv("DNNGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("DNNGAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = jupytext.read(ROOT / "notebooks" / "e4_piecewise_constant.md")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out = tmp_path / "e4.ipynb"
    # 300 epochs instead of the paper's 50,000: the networks learn little, and
    # the chapter's own checks must say so (the notebook stops there)
    with pytest.raises(papermill.PapermillExecutionError, match="below the constant predictor"):
        papermill.execute_notebook(nb, str(out), parameters={"scale": "smoke", "trials": 3, "epochs": 300},
                                   kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    executed = jupytext.read(out)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    images = [o for o in outputs if o.get("output_type") == "display_data" and "image/png" in o.get("data", {})]
    assert images, "the rerun notebook displays no figure"
    glued = {o["metadata"]["scrapbook"]["name"]: next(v for k, v in o["data"].items() if k.endswith("text/plain"))
             for o in outputs if "scrapbook" in o.get("metadata", {}) and not o["metadata"]["scrapbook"]["name"].startswith("fig")}
    assert glued["e4-points"].startswith("'3 trials per point"), glued["e4-points"]
    assert "not the paper's protocol" in glued["prov-e4"]
    assert (tmp_path / "data" / "e4.csv").exists()
