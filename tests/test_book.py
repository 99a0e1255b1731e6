"""The book's structure and the checks `make book` applies to the built HTML.

`make book` runs :func:`check_html` on every page it builds (and fails on a
problem); these tests show the check catches what it should.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)

NOTEBOOKS = build_book.notebooks()


def test_toc_lists_existing_files_and_notebooks():
    for entry in build_book.toc_files():
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml names {entry} but no such file exists"
    assert "test_functions" in NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_a_text_notebook_with_a_scale_parameter(name):
    nb = jupytext.read(ROOT / "notebooks" / f"{name}.md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell must be tagged parameters"
    assert "scale = " in code[0].source
    assert not (ROOT / "notebooks" / f"{name}.ipynb").exists(), "a paired .ipynb is a duplicate document"


PAGE = """<html><body><section><h1>T</h1>{body}</section></body></html>"""


def test_check_html_accepts_a_page_with_a_figure(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.html").write_text(PAGE.format(body='<img alt="x" src="../_images/a.png" />'))
    assert build_book.check_html(tmp_path, ["a"]) == []


@pytest.mark.parametrize("body, problem", [
    ("<p>no picture here</p>", "no figure"),
    ('<img src="a.png"/><div class="output traceback highlight-ipythontb">...</div>', "error output"),
    ('<img src="a.png"/><pre>Traceback (most recent call last):\n  File</pre>', "error output"),
])
def test_check_html_reports_missing_figures_and_errors(tmp_path, body, problem):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.html").write_text(PAGE.format(body=body))
    problems = build_book.check_html(tmp_path, ["a"])
    assert len(problems) == 1 and problem in problems[0]


def test_check_html_reports_a_missing_page(tmp_path):
    assert "page missing" in build_book.check_html(tmp_path, ["nope"])[0]


def test_parameter_values_are_typed_like_papermill():
    assert build_book.parse_value("4") == 4
    assert build_book.parse_value("[relu, tanh]") == ["relu", "tanh"]
    assert build_book.parse_value("paper") == "paper"
