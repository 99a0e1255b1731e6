"""Every figure links the data behind it; the findings and column-guide pages
stay in step with the notebooks and the library (parsed, nothing executed)."""

import re
from pathlib import Path

import pytest

from dnngap.experiments import Results

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))
_FIGURE = re.compile(r"^```\{glue:figure\}[ \t]*(\S+)\n(.*?)^```[ \t]*$", re.M | re.S)
_CSV_LINK = re.compile(r"\{download\}`[^`<]*<data/([\w.-]+)\.csv>`")


def _figures():
    for path in NOTEBOOKS:
        for match in _FIGURE.finditer(path.read_text(encoding="utf-8")):
            yield pytest.param(path, match.group(1), match.group(2), id=f"{path.stem}:{match.group(1)}")


@pytest.mark.parametrize("path, name, body", list(_figures()))
def test_every_figure_links_its_data(path, name, body):
    links = _CSV_LINK.findall(body)
    assert links, f"{path.name}: the caption of glue:figure {name} links no CSV ({{download}}`x.csv <data/x.csv>`)"
    source = path.read_text(encoding="utf-8")
    for csv in links:  # the notebook writes it: plotting.publish(..., csv="x"), Results.to_csv("x") or its own "x.csv"
        assert any(w in source for w in (f'csv="{csv}"', f'to_csv("{csv}")', f'"{csv}.csv"')), \
            f"{path.name}: {name} links data/{csv}.csv, which the notebook does not write"


def test_there_are_figures():
    assert len(list(_figures())) >= 20


def test_data_page_explains_every_column_in_order():
    text = (ROOT / "book" / "data.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", text, re.M)
    assert tuple(listed) == Results.CSV_COLUMNS


def test_findings_glue_keys_exist():
    text = (ROOT / "book" / "findings.md").read_text(encoding="utf-8")
    refs = re.findall(r"\{glue:(?:text|md)\}`/notebooks/(\w+)\.ipynb::([\w-]+)", text)
    assert len(refs) >= 20
    for notebook, key in refs:
        source = (ROOT / "notebooks" / f"{notebook}.md").read_text(encoding="utf-8")
        assert re.search(rf'glue\(f?"{re.escape(key)}"', source) or (
            # keys glued in a loop: glue(f"e1-paper-{name}", ...) or glue(f"e4-paper-gap-{_view}", ...)
            any(key.startswith(prefix) for prefix in re.findall(r'glue\(f"([\w-]+)\{', source))), \
            f"findings.md uses {notebook}::{key}, which the notebook does not glue"
