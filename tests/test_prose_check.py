"""The prose check `make book` applies to every built page
(:func:`check_prose` in tools/build_book.py): no raw TeX, no factor or
decimal with more than 3 significant digits, no range whose two ends are
the same number. Each rule fails on a bad snippet and passes a good one.

Small synthetic HTML only: nothing here builds the book.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_book_prose", ROOT / "tools" / "build_book.py")
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)

#: How the built pages mark what is not prose (myst-nb 1.x, Sphinx, the book theme).
MATH = '<span class="math notranslate nohighlight">{}</span>'
GLUE = '<span class="pasted-text">{}</span>'
ELL1 = MATH.format(r"\(\ell_1\)")
REALS = MATH.format(r"\(\mathbb R^d\)")


def problems(body: str) -> list[str]:
    return build_book.check_prose(f"<html><body><section><h1>T</h1>{body}</section></body></html>")


def kinds(body: str) -> list[str]:
    """The rule of every problem found: 'raw TeX', 'over-precise', 'collapsed range'."""
    return [next(k for k in ("raw TeX", "over-precise", "collapsed range") if k in p) for p in problems(body)]


# -- what counts as prose ----------------------------------------------------

def test_prose_leaves_out_code_math_cells_and_the_head():
    page = (f"<html><head><title>$x$</title><script>var a = '\\\\ell';</script><style>p {{}}</style></head>"
            f"<body><p>The {ELL1} norm of <code>x\\|y</code>.</p>"
            '<div class="math notranslate nohighlight">\\[\\|x\\|\\]</div>'
            '<div class="cell docutils container"><div class="cell_input docutils container">'
            '<div class="highlight-ipython3 notranslate"><div class="highlight"><pre>glue("r", 1.23456)</pre>'
            '</div></div></div><div class="cell_output docutils container"><div class="output text_html">'
            "<table><tr><td>0.831245</td><td>9,143</td></tr></table></div></div></div>"
            "<p>Between " + GLUE.format("1.0") + " and " + GLUE.format("1.2") + ".</p></body></html>")
    assert build_book.prose_blocks(page) == ["The ⟨math⟩ norm of ⟨code⟩ .", "Between 1.0 and 1.2."]
    assert build_book.check_prose(page) == []


def test_only_the_article_is_read_when_the_page_has_one():
    """The theme's navigation and footer repeat what the article says."""
    page = ("<html><body><nav><p>Choosing \\lambda</p></nav><article class='bd-article'><p>Fine.</p></article>"
            "<footer><p>between 1.0 and 1.0</p></footer></body></html>")
    assert build_book.prose_blocks(page) == ["Fine."]
    assert build_book.check_prose(page) == []


def test_blocks_end_at_block_elements_and_glued_values_are_prose():
    page = f"<p>between {GLUE.format('1.0')}</p><p>and {GLUE.format('1.0')}</p><ul><li>2</li><li>2</li></ul>"
    assert build_book.prose_blocks(page) == ["between 1.0", "and 1.0", "2", "2"]
    assert problems(f"<p>between {GLUE.format('1.0')} and {GLUE.format('1.0')} times</p>")


# -- raw TeX -----------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "<p>Sparse Legendre expansions via $\\ell _1$-minimization.</p>",   # a BibTeX title
    "<p>the norm \\|x\\| of</p>",
    "<p>for x in \\mathbb R^d</p>",
    '<p><a href="#choosing-lambda">Choosing \\lambda</a> below</p>',  # a section title in a link
    "<p>inline \\(x^2\\) outside a math element is not typeset</p>",
    "<p>$$x$$</p>",
    "<p>the weights w_{j}</p>",
])
def test_raw_tex_in_prose_is_reported(body):
    assert "raw TeX" in kinds(body)


@pytest.mark.parametrize("body", [
    f"<p>via {ELL1}-minimization and {REALS}</p>",
    '<div class="math notranslate nohighlight">\\[\\|x\\|_{2} = $y$\\]</div>',
    "<p>Sparse Legendre expansions via ℓ₁-minimization.</p>",   # unicode, as the .bib now writes it
    "<p>run <code>make run PARAMS=\"-p d '$x'\"</code> or <kbd>\\n</kbd></p>",
    "<pre>\\ell $x$</pre>",
    "<p>It costs $5 and $6 more.</p>",
])
def test_typeset_or_literal_tex_and_unicode_are_fine(body):
    assert problems(body) == []


# -- over-precise numbers ----------------------------------------------------

@pytest.mark.parametrize("body, number", [
    ("<p>a gap of a factor 9,143.</p>", "9,143"),
    ("<p>a gap of a factor of about 125,186.</p>", "125,186"),
    ("<p>CS is 6,513 times more accurate</p>", "6,513"),
    ("<p>the network is 215,057,668 times worse</p>", "215,057,668"),
    ("<p>ReLU 1×10, Adam (1,793× CS) &lt; tanh</p>", "1,793"),
    ("<p>a 2,085-fold gap</p>", "2,085"),
    ("<p>the ratios 12,599 and 3</p>", "12,599"),
    ("<p>between a factor 125,186 and 13,817,423</p>", "13,817,423"),   # both ends of the range
    ("<p>between 6,513 and 9,143 times</p>", "6,513"),
    ("<p>its error is 1.0000 times that of CS</p>", "1.0000"),          # a decimal: always
    ("<p>the best error is 0.8312 of the constant's</p>", "0.8312"),
    ("<p>compute 855.1 min</p>", "855.1"),
    ("<p>an error of 1.235·10⁻³</p>", "1.235·10⁻³"),
])
def test_a_factor_or_decimal_with_more_than_3_digits_is_reported(body, number):
    found = problems(body)
    assert any("over-precise" in p and repr(number) in p for p in found), found


def test_both_ends_of_a_ratio_range_are_reported_once_each():
    found = problems("<p>between a factor 125,186 and 13,817,423.</p><p>it is 1.0000 times that</p>")
    assert [p.split("'")[1] for p in found] == ["125,186", "13,817,423", "1.0000"]


@pytest.mark.parametrize("body", [
    "<p>2,250 samples, 1,863,937 points, 50,000 epochs, 20 trials and 10,000 test points</p>",  # counts
    "<p>Adcock and Dexter, 2021; SIAM J. Math. Data Sci. 3(2):624–655, 2021.</p>",  # years, pages
    "<p>Python 3.11, jupyter-book 1.0.2, numpy 1.26.4; dnn-gap 0.1.0, commit 8e18c3c, built 2026-12-07</p>",
    '<p><a href="https://doi.org/10.1137/20M131309X">doi:10.1137/20M131309X</a>, '
    "doi:10.1007/s10208-017-9350-3</p>",
    "<p>tolerance 5e-7, or 5·10⁻⁷; a factor 2.2·10⁸ and 9.1·10³ times</p>",  # ≤ 3 digits in m·10ᵉ
    "<p>a factor 9,140; 6,510 times; 2,250 times (the 2,250 samples); a factor 1.07; 0.831; 0.0012</p>",
    "<p>ReLU 10×1024 and 4 × 1024 networks, E1234</p>",   # a shape is not a ratio
    "<p>an error of 1.23·10⁻⁴, 12.3 and 0.000123</p>",
])
def test_counts_years_identifiers_and_3_digit_factors_are_fine(body):
    assert problems(body) == []


@pytest.mark.parametrize("number, digits", [
    ("9,143", 4), ("50,000", 1), ("2,250", 3), ("1,863,937", 7), ("1.0000", 5), ("0.0120", 3),
    ("0.8312", 4), ("12", 2), ("10", 1), ("0.000", 3), ("2.2·10⁸", 2), ("1.235·10⁻³", 4),
])
def test_significant_digits(number, digits):
    assert build_book.significant_digits(number) == digits


# -- collapsed ranges ----------------------------------------------------------

@pytest.mark.parametrize("body", [
    "<p>between 1.0 and 1.0 times that of CS</p>",
    f"<p>is between {GLUE.format('0.83')} and {GLUE.format('0.83')}.</p>",
    "<p>between 1.0 and 1.00</p>",            # the same number, printed twice
    "<p>from 3 to 3 layers</p>",
    "<p>errors of 2.9–2.9 times</p>",
    "<p>errors of 2.2·10⁸ – 2.2·10⁸</p>",
    "<p>widths 10-10</p>",
    "<p>m = 1,200-1,200</p>",
])
def test_a_range_with_equal_ends_is_reported(body):
    assert "collapsed range" in kinds(body)


@pytest.mark.parametrize("body", [
    "<p>between 1.0 and 1.2 times that of CS, from 3 to 5 layers</p>",
    "<p>2.9–13 times; pages 624–655; 2.2·10⁸–3.1·10⁸</p>",
    "<p>built 2026-12-12, doi:10.1007/s10208-017-9350-3, 1,200-1,500, 3-4 layers</p>",  # dates, identifiers
    "<p>between 2 and 20, between 1.0 and 10</p>",
])
def test_ranges_with_different_ends_and_dates_are_fine(body):
    assert problems(body) == []


# -- in check_html -------------------------------------------------------------

PAGE = "<html><body><section><h1>T</h1>{body}</section></body></html>"


def test_check_html_checks_the_prose_of_notebook_and_book_pages(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks" / "a.html").write_text(PAGE.format(
        body='<img src="a.png"/><p>between 1.0000 and 1.0000 times that of CS</p>'))
    (tmp_path / "book" / "references.html").write_text(PAGE.format(body="<p>via $\\ell _1$-minimization</p>"))
    (tmp_path / "book" / "intro.html").write_text(PAGE.format(body="<p>2,250 samples</p>"))
    found = build_book.check_html(tmp_path, ["a"], ["book/intro", "book/references", "book/gone"])
    assert len(found) == 5, found
    assert sum("a.html: over-precise factor '1.0000'" in p for p in found) == 2
    assert any("a.html: collapsed range 'between 1.0000 and 1.0000'" in p for p in found)
    assert any("references.html: raw TeX" in p and "$\\ell _1$" in p for p in found)
    assert any("gone.html: page missing" in p for p in found)


def test_make_book_checks_every_page_of_the_toc(monkeypatch, tmp_path, capsys):
    """main() passes the toc's book pages to check_html and fails on a finding."""
    for name in ("stage", "build_html"):
        monkeypatch.setattr(build_book, name, lambda *a, **k: None)
    monkeypatch.setattr(build_book, "execute_all", lambda jobs, n_jobs=1: [])
    monkeypatch.setattr(build_book, "HTML", tmp_path)
    for path in build_book.book_pages():
        (tmp_path / f"{path}.html").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{path}.html").write_text(PAGE.format(body="<p>Fine.</p>"))
    for name in build_book.notebooks():
        (tmp_path / "notebooks").mkdir(exist_ok=True)
        (tmp_path / "notebooks" / f"{name}.html").write_text(PAGE.format(body='<img src="a.png"/>'))
    assert "book/references" in build_book.book_pages() and "book/intro" in build_book.book_pages()
    assert build_book.main(["--scale", "smoke"]) == 0
    (tmp_path / "book" / "references.html").write_text(PAGE.format(body="<p>via $\\ell _1$</p>"))
    assert build_book.main(["--scale", "smoke"]) == 1
    assert "references.html: raw TeX" in capsys.readouterr().err


def test_the_bibliography_has_no_tex_that_the_book_would_show_raw():
    """sphinxcontrib-bibtex prints a title's $...$ as typed: write ℓ₁, not $\\ell_1$."""
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    assert "$" not in bib and "\\ell" not in bib
