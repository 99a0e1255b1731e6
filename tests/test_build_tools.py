"""tools/build_book.py beyond the page checks: parameters of a rerun, what a
reader cites (CITATION.cff, the generated BibTeX, the footer's build line,
figure labels), the PDF helpers, and the archive and publishing metadata.

Nothing here executes a notebook or builds the book.
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
import tomllib
from pathlib import Path

import pytest
import yaml

import dnngap

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_book_tools", ROOT / "tools" / "build_book.py")
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)

E1 = "e1_smooth_dnn_vs_cs"


# -- reruns with parameters ------------------------------------------------

def test_notebook_parameters_are_read_from_the_parameters_cell():
    names = build_book.notebook_parameters(build_book.notebook_source(E1))
    assert names[:3] == ["scale", "device", "dims"]
    assert "trials" in names and "d" not in names


@pytest.mark.parametrize("name", build_book.notebooks())
def test_every_notebook_has_readable_parameters_starting_with_scale(name):
    assert build_book.notebook_parameters(build_book.notebook_source(name))[0] == "scale"


def test_a_notebook_without_a_parameters_cell_is_an_error(tmp_path):
    source = tmp_path / "x.md"
    source.write_text("---\njupytext:\n  text_representation:\n    format_name: myst\n---\n"
                      "# x\n\n```{code-cell} ipython3\na = 1\n```\n")
    with pytest.raises(ValueError, match="no code cell tagged 'parameters'"):
        build_book.notebook_parameters(source)


def test_check_parameters_accepts_known_names():
    known = build_book.notebook_parameters(build_book.notebook_source(E1))
    build_book.check_parameters(E1, {"dims": [4], "trials": 5, "scale": "paper"}, known)


def test_check_parameters_names_the_notebook_and_lists_its_parameters():
    known = ["scale", "device", "dims", "trials"]
    with pytest.raises(ValueError) as error:
        build_book.check_parameters(E1, {"d": 4, "trials": 5}, known)
    assert str(error.value) == ("E1 (e1_smooth_dnn_vs_cs) has no parameter 'd'; "
                                "its parameters: scale, device, dims, trials")
    with pytest.raises(ValueError, match="no parameters 'd', 'm'"):
        build_book.check_parameters("test_functions", {"d": 4, "m": 1}, known)


def test_check_parameters_rejects_an_unknown_scale():
    with pytest.raises(ValueError, match="scale must be one of smoke, ci, paper; got 'huge'"):
        build_book.check_parameters(E1, {"scale": "huge"}, ["scale"])


def _no_work(*args, **kwargs):
    raise AssertionError("work started before the parameters were checked")


def test_make_run_rejects_an_unknown_parameter_fast_and_before_any_work(monkeypatch, capsys):
    for name in ("execute_all", "execute", "stage", "build_html"):
        monkeypatch.setattr(build_book, name, _no_work)
    start = time.perf_counter()
    with pytest.raises(SystemExit) as exit_:
        build_book.main(["--only", E1, "-p", "d", "4", "-p", "trials", "3"])
    assert time.perf_counter() - start < 10
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "E1 (e1_smooth_dnn_vs_cs) has no parameter 'd'; its parameters: scale, device, dims," in err


def test_make_run_passes_known_parameters_typed(monkeypatch):
    seen = {}

    def execute_all(jobs, n_jobs=1):
        seen.update(jobs)
        return ["stop here"]  # report a failure: nothing is built

    monkeypatch.setattr(build_book, "execute_all", execute_all)
    monkeypatch.setattr(build_book, "EXECUTED", Path("/nonexistent"))  # every notebook would be executed
    assert build_book.main(["--only", E1, "--scale", "smoke", "-p", "dims", "[4]", "-p", "trials", "3"]) == 1
    assert seen[E1] == {"scale": "smoke", "dims": [4], "trials": 3}


def test_make_help_and_readme_suggest_only_real_parameters():
    """Every `make run NB=... PARAMS="-p ..."` example names parameters of its notebook."""
    texts = {"Makefile": (ROOT / "Makefile").read_text(), "README.md": (ROOT / "README.md").read_text()}
    for where, text in texts.items():
        for nb, params in re.findall(r'make run NB=(\S+) PARAMS=\\?"([^"\\]*)', text):
            names = [n for n in re.findall(r"-p (\w+)", params) if n != "name"]  # "-p name value": a placeholder
            if nb.startswith("<"):  # the help's generic example: parameters every notebook has
                known = set.intersection(*(set(build_book.notebook_parameters(build_book.notebook_source(n)))
                                           for n in build_book.notebooks()))
            else:
                known = build_book.notebook_parameters(build_book.notebook_source(nb))
            assert set(names) <= set(known), f"{where}: make run NB={nb} with {names}; known {sorted(known)}"


# -- citing and keeping ----------------------------------------------------

def test_citation_version_is_the_package_version():
    cff = build_book.read_citation()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert str(cff["version"]) == dnngap.__version__ == pyproject["project"]["version"]
    assert build_book.package_version() == dnngap.__version__


def test_zenodo_metadata_agrees_with_citation_cff():
    zenodo = json.loads((ROOT / ".zenodo.json").read_text())
    cff = build_book.read_citation()
    assert zenodo["title"] == cff["title"]
    assert zenodo["version"] == str(cff["version"])
    assert zenodo["upload_type"] == "software" and zenodo["license"] == cff["license"] == "MIT"
    assert zenodo["keywords"] == cff["keywords"]
    assert [c["name"] for c in zenodo["creators"]] == [a["name"] for a in cff["authors"]]
    paper_doi = cff["preferred-citation"]["doi"]
    assert {"identifier": paper_doi, "relation": "isSupplementTo"}.items() <= zenodo["related_identifiers"][0].items()


def test_companion_bibtex_comes_from_citation_cff():
    cff = build_book.read_citation()
    entry = build_book.companion_bibtex(cff)
    assert entry.startswith("@software{")
    assert f"version = {{{cff['version']}}}" in entry
    assert f"date    = {{{cff['date-released']}}}" in entry
    assert "{The dnn-gap developers}" in entry
    if build_book.repository_url(cff) is None:  # unset: no address is invented
        assert "url" not in entry and "http" not in entry


def test_companion_bibtex_includes_the_repository_only_when_configured():
    cff = {"title": "T & more", "version": "1.2.3", "date-released": "2027-01-02", "license": "MIT",
           "authors": [{"family-names": "Beethoven", "given-names": "Ludwig", "name-particle": "van"},
                       {"name": "Some Group"}]}
    entry = build_book.companion_bibtex(cff)
    assert "url" not in entry
    assert "author  = {van Beethoven, Ludwig and {Some Group}}" in entry
    assert r"T \& more" in entry and "dnngap2027" in entry
    entry = build_book.companion_bibtex({**cff, "repository-code": "https://example.org/dnn-gap"})
    assert "url     = {https://example.org/dnn-gap}" in entry
    assert build_book.repository_url({"repository-code": ""}) is None


def test_build_info_names_the_version_and_commit():
    info = build_book.build_info()
    assert info["version"] == dnngap.__version__
    if (ROOT / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{4,40}(-dirty)?", info["commit"])
    line = build_book.build_line(info)
    assert line.startswith(f"dnn-gap {dnngap.__version__}, ")
    no_git = build_book.build_line({**info, "commit": None})
    assert "not built from a git checkout" in no_git


def _stage_sources(tmp_path):
    for item in ("_config.yml", "_toc.yml"):
        (tmp_path / item).write_text((ROOT / item).read_text())


def test_staged_config_puts_the_build_line_in_every_footer(tmp_path):
    _stage_sources(tmp_path)
    info = {"version": "9.8.7", "commit": "abc1234-dirty", "date": "2027-01-01"}
    cff = build_book.read_citation()
    build_book.stage_config(tmp_path, info, cff)
    config = yaml.safe_load((tmp_path / "_config.yml").read_text())
    assert "dnn-gap 9.8.7, commit abc1234-dirty" in config["html"]["extra_footer"]
    assert "display: block" in (tmp_path / "_static" / "dnngap-print.css").read_text()
    if build_book.repository_url(cff) is None:
        assert "repository" not in config and not config["html"]["use_repository_button"]
    build_book.stage_config(tmp_path, info, {**cff, "repository-code": "https://example.org/r"})
    config = yaml.safe_load((tmp_path / "_config.yml").read_text())
    assert config["repository"]["url"] == "https://example.org/r" and config["html"]["use_repository_button"]


def test_generated_citation_files(tmp_path):
    info = {"version": "9.8.7", "commit": "abc1234", "date": "2027-01-01"}
    build_book.write_generated(tmp_path, info, build_book.read_citation())
    out = tmp_path / build_book.GENERATED
    assert (out / "companion.bib").read_text().startswith("@software{")
    assert "commit `abc1234`" in (out / "build.md").read_text()
    figures = (out / "figures.md").read_text()
    assert "{numref}`fig-e1`" in figures and "</notebooks/e1_smooth_dnn_vs_cs>" in figures
    plan, provenance = (out / "plan.md").read_text(), (out / "provenance.md").read_text()
    assert plan.startswith("| experiment | units | committed | missing | core-hours")
    assert provenance.startswith("| experiment | scale | points stored |")


def test_reproducing_includes_the_generated_tables():
    page = (ROOT / "book" / "reproducing.md").read_text()
    assert "```{include} _generated/plan.md" in page and "```{include} _generated/provenance.md" in page
    assert "table:start" not in page  # no hand-maintained copies left


def test_the_cite_page_includes_the_generated_files_and_is_in_the_toc():
    cite = (ROOT / "book" / "cite.md").read_text()
    for name in ("companion.bib", "build.md", "figures.md"):
        assert f"_generated/{name}" in cite
    assert "book/cite" in build_book.toc_files()
    assert "{doc}`cite`" in (ROOT / "book" / "intro.md").read_text()


def test_every_figure_has_a_stable_unique_label():
    labels = []
    for name in build_book.notebooks():
        source = ROOT / "notebooks" / f"{name}.md"
        text = source.read_text()
        n_figures = len(re.findall(r"^```\{(?:glue:figure|figure)\}", text, re.M))
        found = build_book.figure_labels(source)
        assert len(found) == n_figures, f"{name}: every figure needs a :name: label"
        assert all(label.startswith("fig-") for label in found), found
        labels += found
    assert len(labels) == len(set(labels)), "figure labels must be unique across the book"
    assert "fig-e1" in labels


def test_pdf_pages_counts_the_pages_of_a_pdf(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = tmp_path / "three.pdf"
    with PdfPages(path) as pdf:
        for _ in range(3):
            figure = plt.figure()
            pdf.savefig(figure)
            plt.close(figure)
    assert build_book.pdf_pages(path) == 3


def test_without_chromium_make_pdf_says_how_to_install_it(monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(build_book.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install chromium"):
        build_book.find_chromium()


def test_pdf_takes_no_rerun_options():
    with pytest.raises(SystemExit):
        build_book.main(["--pdf", "--only", E1])


def test_pages_workflow_builds_the_book_and_deploys_it():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    uses = [step.get("uses", "").split("@")[0] for job in workflow["jobs"].values() for step in job["steps"]]
    assert "make book SCALE=ci" in runs and "make pdf" in runs
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"


def test_pdf_refuses_a_book_whose_last_run_failed(tmp_path, monkeypatch, capsys):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "1/0", outputs=[nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="", traceback=[])])])
    nbformat.write(nb, tmp_path / "a.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "b.ipynb")
    monkeypatch.setattr(build_book, "EXECUTED", tmp_path)
    assert build_book.failed_notebooks(["a", "b", "missing"]) == ["a"]
    monkeypatch.setattr(build_book, "find_chromium", lambda name=None: "chromium")
    monkeypatch.setattr(build_book, "notebooks", lambda: ["a", "b"])
    monkeypatch.setattr(build_book, "stage", _no_work)
    assert build_book.build_pdf() == 1
    assert "the last run of a failed" in capsys.readouterr().err
