"""Execute the book's notebooks with papermill, then build the HTML book.

Used by ``make book`` and ``make run``; run ``python tools/build_book.py -h``.

Why not let jupyter-book execute the notebooks itself?

* papermill injects parameters (the scale, or a reader's ``-p d 4``), which
  jupyter-book cannot do;
* jupyter-book's ``cache`` mode does not notice changes to ``lib/dnngap``,
  and without ``-W`` it exits 0 when a notebook fails.

So the build has two stages:

1. every notebook named in ``_toc.yml`` (a jupytext MyST file under
   ``notebooks/``) is read with jupytext (papermill cannot read text
   notebooks), executed by papermill with ``scale`` and any extra parameters,
   and written to ``_build/executed/<name>.ipynb`` (git-ignored). A failing
   notebook is kept there, with its traceback, and fails the build;
2. the book sources and the executed notebooks are staged in
   ``_build/stage`` (so no text notebook sits beside its executed copy as a
   duplicate document) and built with execution off and
   ``-W -n --keep-going``, into ``_build/html``.

Finally the built HTML is checked (see :func:`check_html`): every notebook
page for at least one figure and for error output, every page's visible
prose for raw TeX, over-precise factors and decimals, and collapsed ranges
("between 1.0 and 1.0"; see :func:`check_prose`).

Before any work, ``-p NAME VALUE`` parameters are checked against the
notebook's ``parameters`` cell (:func:`check_parameters`): an unknown name is
an error that lists the notebook's parameters.

The staged book also gets what a reader needs to cite and keep it (see
:func:`write_generated` and :func:`stage_config`): every page's footer names
the version (``dnngap.__version__``) and the commit it was built from, and
``book/_generated/`` holds the companion's BibTeX entry, generated from
``CITATION.cff`` (the repository address, ``repository-code`` there, is
included only when set), and the list of figure labels.

``--pdf`` (``make pdf``) builds the whole book as one PDF from the notebooks
executed by a previous ``make book``: the staged book is built as a single
HTML page and printed by headless Chromium (see :func:`build_pdf`).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
EXECUTED = BUILD / "executed"
STAGE = BUILD / "stage"
HTML = BUILD / "html"
SCALES = ("smoke", "ci", "paper")
#: What is copied into the staging folder besides the executed notebooks.
SOURCES = ("_config.yml", "_toc.yml", "book")
#: Where notebooks write the data behind their figures (``Results.to_csv``);
#: staged as ``notebooks/data`` so that captions can link the files.
DATA = EXECUTED / "data"
#: The citation metadata; its ``repository-code`` is the one place where the
#: repository's public address is configured (unset: nowhere in the book).
CITATION = ROOT / "CITATION.cff"
#: Files written into the staged book by :func:`write_generated`.
GENERATED = Path("book") / "_generated"
#: ``make pdf``: its own staging and build folders (a ``make book`` running
#: at the same time keeps its own), and the PDF.
PDF_BUILD = BUILD / "pdf"
PDF = BUILD / "book.pdf"


def toc_files(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Return every ``file:`` entry of the table of contents, in order."""
    data = yaml.safe_load(toc.read_text())
    files = [data["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in data.items() if k != "root"})
    return files


def notebooks(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Names (without folder and extension) of the notebooks in the toc."""
    return [Path(f).name for f in toc_files(toc) if f.startswith("notebooks/")]


def parse_value(text: str):
    """Type a ``-p name value`` value the way papermill's CLI does (YAML)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def notebook_source(name: str) -> Path:
    """``notebooks/<name>.md``; a clear error when there is no such notebook."""
    source = ROOT / "notebooks" / f"{name}.md"
    if not source.exists():
        raise FileNotFoundError(f"notebook {name!r} not found: {source} (NB must be one of {notebooks()})")
    return source


def notebook_parameters(source: Path) -> list[str]:
    """The names assigned in the notebook's cell tagged ``parameters``, in order.

    The cell is parsed (not executed) with :mod:`ast`, so this is fast and has
    no side effects. Raises ``ValueError`` when the notebook has no such cell.
    """
    import jupytext

    nb = jupytext.read(source)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            names = []
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                for target in targets:
                    for leaf in ast.walk(target) if target is not None else ():
                        if isinstance(leaf, ast.Name) and leaf.id not in names:
                            names.append(leaf.id)
            return names
    raise ValueError(f"{source} has no code cell tagged 'parameters'")


def notebook_label(name: str) -> str:
    """How messages name a notebook: ``'E1 (e1_smooth_dnn_vs_cs)'``, or its name."""
    match = re.match(r"e(\d+)_", name)
    return f"E{match.group(1)} ({name})" if match else name


def check_parameters(name: str, given, known: list[str]) -> None:
    """Raise ``ValueError`` unless every name in ``given`` is in ``known``.

    The message names the notebook and lists its parameters, e.g. "E1
    (e1_smooth_dnn_vs_cs) has no parameter 'd'; its parameters: scale, device,
    dims, ...". A ``scale`` must also be one of :data:`SCALES`.
    """
    unknown = [p for p in given if p not in known]
    if unknown:
        which = ", ".join(repr(p) for p in unknown)
        raise ValueError(f"{notebook_label(name)} has no parameter{'s' if len(unknown) > 1 else ''} {which}; "
                         f"its parameters: {', '.join(known)}")
    if isinstance(given, dict) and "scale" in given and given["scale"] not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {given['scale']!r}")


def execute(name: str, parameters: dict, *, cwd: Path = ROOT) -> float:
    """Execute ``notebooks/<name>.md`` into ``_build/executed/<name>.ipynb``.

    Returns the wall time in seconds; raises on a failing cell.
    """
    import jupytext
    import papermill

    nb = jupytext.read(notebook_source(name))
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    EXECUTED.mkdir(parents=True, exist_ok=True)
    os.environ["DNNGAP_DATA_DIR"] = str(DATA)  # inherited by the kernel
    out = EXECUTED / f"{name}.ipynb"
    start = time.perf_counter()
    papermill.execute_notebook(
        nb,
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(cwd),
        progress_bar=False,
        log_output=False,
    )
    return time.perf_counter() - start


def _execute_logged(name: str, params: dict) -> str | None:
    """Execute one notebook, print its outcome; the name if it failed."""
    print(f"[book] executing {name} with {params}", flush=True)
    try:
        seconds = execute(name, params)
    except Exception as exc:  # papermill raises PapermillExecutionError
        print(f"[book] FAILED {name}: {exc.__class__.__name__}: {str(exc)[:2000]}", flush=True)
        print(f"[book] the executed notebook with the traceback is {EXECUTED / (name + '.ipynb')}")
        return name
    print(f"[book] {name} done in {seconds:.0f} s", flush=True)
    return None


#: Notebooks in decreasing order of their ci-scale execution time (measured
#: on 2 cores, Dec 2026: E1 about 8 minutes of one core down to the test
#: functions' seconds). Executing the longest first keeps both jobs busy to
#: the end; notebooks not listed go last. Order only affects the wall time.
LONGEST_FIRST = ("e1_smooth_dnn_vs_cs", "e5_one_dimensional", "e8_closing_the_gap", "e7_existence_theorem",
                 "e6_precision", "e4_piecewise_constant", "e2_architectures_activations", "e3_harder_smooth",
                 "cs_method", "test_functions")


def _cost_rank(name: str) -> int:
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def execute_all(jobs: list[tuple[str, dict]], n_jobs: int = 1) -> list[str]:
    """Execute ``(name, parameters)`` notebooks, ``n_jobs`` at a time (each
    in its own kernel process); return the names of those that failed."""
    if n_jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1; got {n_jobs}")
    if n_jobs == 1:
        outcomes = [_execute_logged(*job) for job in jobs]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            outcomes = list(pool.map(_execute_logged, *zip(*jobs)))
    return [name for name in outcomes if name is not None]


def package_version(root: Path = ROOT) -> str:
    """``dnngap.__version__``, read from ``lib/dnngap/__init__.py`` (not imported)."""
    text = (root / "lib" / "dnngap" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)[\"']", text, re.M)
    if not match:
        raise ValueError("lib/dnngap/__init__.py sets no __version__")
    return match.group(1)


def build_info(root: Path = ROOT) -> dict:
    """What a page says it was built from: ``version``, ``commit`` (short
    hash, ``-dirty`` appended when tracked or untracked files differ from
    it; ``None`` outside a git checkout, e.g. an unpacked archive) and
    ``date`` (today, ISO)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain"):
            commit += "-dirty"
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {"version": package_version(root), "commit": commit, "date": datetime.date.today().isoformat()}


def build_line(info: dict) -> str:
    """``'dnn-gap 0.1.0, commit 1a2b3c4, built 2026-12-07'`` (plain text)."""
    commit = f"commit {info['commit']}" if info["commit"] else "not built from a git checkout"
    return f"dnn-gap {info['version']}, {commit}, built {info['date']}"


def read_citation(path: Path = CITATION) -> dict:
    """``CITATION.cff`` as a dict."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def repository_url(cff: dict) -> str | None:
    """The repository's public address: ``repository-code`` of CITATION.cff,
    or ``None`` while it is unset (the book then names no address)."""
    url = cff.get("repository-code")
    return str(url).strip() or None if url else None


def _bibtex_escape(text: str) -> str:
    text = str(text).replace("\\", r"\textbackslash{}")
    for char in "&%$#_":
        text = text.replace(char, "\\" + char)
    return text.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


def _bibtex_author(author: dict) -> str:
    """A CFF person as ``Family, Given`` (with particle and suffix); an entity,
    or a person given only by ``name``, braced so BibTeX keeps it whole."""
    if "family-names" in author:
        family = " ".join(str(author[k]) for k in ("name-particle", "family-names") if author.get(k))
        parts = [family] + [str(author[k]) for k in ("name-suffix", "given-names") if author.get(k)]
        return _bibtex_escape(", ".join(parts))
    return "{" + _bibtex_escape(author["name"]) + "}"


def companion_bibtex(cff: dict) -> str:
    """The companion's BibTeX entry (``@software``), from CITATION.cff only:
    authors, title, version, release date, licence, and the DOI and the
    repository address when CITATION.cff gives them (omitted otherwise)."""
    released = cff.get("date-released")
    date = released.isoformat() if isinstance(released, datetime.date) else str(released or "")
    fields = [
        ("author", " and ".join(_bibtex_author(a) for a in cff["authors"])),
        ("title", "{" + _bibtex_escape(cff["title"]) + "}"),
        ("version", _bibtex_escape(cff["version"])),
        ("date", date), ("year", date[:4]),
        ("license", _bibtex_escape(cff.get("license", ""))),
        ("doi", cff.get("doi", "")),
        ("url", repository_url(cff) or ""),
    ]
    key = "dnngap" + date[:4]
    # lines of at most 64 characters: the book's code blocks show about 66
    body = ",\n".join(textwrap.fill(f"  {name:<8}= {{{value}}}", width=64, subsequent_indent=" " * 13,
                                     break_long_words=False, break_on_hyphens=False)
                       for name, value in fields if value)
    return f"@software{{{key},\n{body}\n}}\n"


_FIGURE_NAME = re.compile(r"^```\{(?:glue:figure|figure)\}[^\n]*\n(?::[^\n]*\n)*?:name:\s*(\S+)", re.M)


def figure_labels(source: Path) -> list[str]:
    """The ``:name:`` of every ``figure`` / ``glue:figure`` directive of a
    notebook's source, in order (the labels a reader cites)."""
    return _FIGURE_NAME.findall(source.read_text(encoding="utf-8"))


def _title(source: Path) -> str:
    match = re.search(r"^# (.+)$", source.read_text(encoding="utf-8"), re.M)
    return match.group(1).strip() if match else source.stem


def write_generated(stage_dir: Path, info: dict, cff: dict) -> None:
    """Write ``book/_generated/`` into a staged book: ``companion.bib`` (the
    companion's BibTeX entry), ``build.md`` (the version and commit of this
    build, a figure citation with them) and ``figures.md`` (every figure
    label, chapter by chapter), which ``book/cite.md`` includes; ``plan.md``
    and ``provenance.md`` (the tables of ``tools/plan_table.py`` and
    ``tools/provenance_table.py`` for the committed results), which
    ``book/reproducing.md`` includes."""
    out = stage_dir / GENERATED
    out.mkdir(parents=True, exist_ok=True)
    (out / "companion.bib").write_text(companion_bibtex(cff), encoding="utf-8")
    commit = f"commit `{info['commit']}`" if info["commit"] else "no commit (not built from a git checkout)"
    short = f"commit {info['commit']}" if info["commit"] else "no commit"
    example = "\n".join([
        f"This copy of the book is version {info['version']} of the companion, {commit}, built on "
        f"{info['date']}; the same line is at the foot of every page.",
        "",
        f"For example: *dnn-gap {info['version']} ({short}), chapter E1, figure `fig-e1`*.",
    ])
    (out / "build.md").write_text(example + "\n", encoding="utf-8")
    rows = ["| chapter | figure labels |", "|---|---|"]
    for name in notebooks():
        source = ROOT / "notebooks" / f"{name}.md"
        labels = figure_labels(source)
        if labels:
            links = ", ".join(f"{{numref}}`{label}` `{label}`" for label in labels)
            rows.append(f"| {{doc}}`{_title(source)} </notebooks/{name}>` | {links} |")
    (out / "figures.md").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for name in ("plan", "provenance"):  # tables of the committed results (book/reproducing.md)
        (out / f"{name}.md").write_text(_tool(f"{name}_table").table() + "\n", encoding="utf-8")


def _tool(name: str):
    """The module ``tools/<name>.py`` (the tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The theme hides the page footer in print; the build line stays (a printed
#: page or ``make pdf`` says what it was built from). Jupyter Book loads every
#: stylesheet of the staged ``_static/``.
PRINT_CSS = """/* written by tools/build_book.py: print the footer, with the build line */
@media print {
  .bd-main .bd-footer-content { display: block !important; }
}
"""


def stage_config(stage_dir: Path, info: dict, cff: dict) -> None:
    """Complete the staged ``_config.yml``: the build line as every page's
    footer (``html.extra_footer``, printed too: :data:`PRINT_CSS`) and, when
    CITATION.cff gives the repository address, the theme's repository
    button."""
    static = stage_dir / "_static"
    static.mkdir(exist_ok=True)
    (static / "dnngap-print.css").write_text(PRINT_CSS, encoding="utf-8")
    path = stage_dir / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    html = config.setdefault("html", {})
    html["extra_footer"] = f'<p class="dnngap-build">{build_line(info)}</p>'
    url = repository_url(cff)
    if url:
        config.setdefault("repository", {})["url"] = url
        html["use_repository_button"] = True
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def stage(dest: Path = STAGE) -> None:
    """Copy the book sources and executed notebooks into ``dest``
    (``_build/stage``), with the generated files and configuration."""
    missing = [n for n in notebooks() if not (EXECUTED / f"{n}.ipynb").exists()]
    if missing:
        raise FileNotFoundError(f"not executed yet (no {EXECUTED}/<name>.ipynb): {', '.join(missing)}; "
                                "execute the notebooks first (make book)")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for item in SOURCES:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item)
        else:
            shutil.copy2(src, dest / item)
    info, cff = build_info(), read_citation()
    write_generated(dest, info, cff)
    stage_config(dest, info, cff)
    (dest / "notebooks").mkdir()
    if DATA.exists():
        shutil.copytree(DATA, dest / "notebooks" / "data")
    for name in notebooks():
        executed = EXECUTED / f"{name}.ipynb"
        nb = nbformat.read(executed, as_version=4)
        for cell in nb.cells:  # collapse papermill's injected-parameters cell
            tags = cell.metadata.setdefault("tags", [])
            if "injected-parameters" in tags and "hide-input" not in tags:
                tags.append("hide-input")
        nbformat.write(nb, dest / "notebooks" / executed.name)


def jupyter_book(stage_dir: Path, output: Path, builder: str = "html") -> Path:
    """Build a staged book with jupyter-book (warnings are errors); return the
    folder it wrote (``output/_build/<builder>``)."""
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"), "build", str(stage_dir),
        "--path-output", str(output), "--builder", builder, "-W", "-n", "--keep-going",
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return output / "_build" / builder


def build_html() -> None:
    """Build ``_build/stage`` into ``_build/html``; warnings are errors."""
    built = jupyter_book(STAGE, BUILD / "jb")
    if HTML.exists():
        shutil.rmtree(HTML)
    shutil.move(str(built), HTML)


#: Browsers tried for ``make pdf`` when neither ``--chromium`` nor
#: ``$CHROMIUM`` names one (Debian: ``apt-get install chromium``).
CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Milliseconds of virtual time Chromium gives the page before printing:
#: MathJax (served from the book's _static, offline) typesets every formula
#: in this time; without it the PDF would show the TeX source.
VIRTUAL_TIME_MS = 60_000


def find_chromium(name: str | None = None) -> str:
    """The headless browser to print with: ``name``, ``$CHROMIUM`` or the
    first of :data:`CHROMIUMS` on the PATH; a clear error when none is."""
    for candidate in ([name] if name else []) + ([os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else []) \
            + list(CHROMIUMS):
        path = shutil.which(candidate)
        if path:
            return path
        if name and candidate == name:
            raise FileNotFoundError(f"no browser {name!r} on the PATH")
    raise FileNotFoundError(f"make pdf needs Chromium (none of {', '.join(CHROMIUMS)} is on the PATH): "
                            "on Debian or Ubuntu, sudo apt-get install chromium; or set CHROMIUM=/path/to/chrome")


def _chromium(browser: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
           f"--virtual-time-budget={VIRTUAL_TIME_MS}", "--run-all-compositor-stages-before-draw", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def pdf_pages(path: Path) -> int:
    """The number of pages of a PDF (its page objects; no PDF library needed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


def failed_notebooks(names: list[str] | None = None) -> list[str]:
    """Notebooks whose executed copy holds an error output (its last run failed)."""
    failed = []
    for name in notebooks() if names is None else names:
        path = EXECUTED / f"{name}.ipynb"
        if path.exists():
            nb = nbformat.read(path, as_version=4)
            if any(out.get("output_type") == "error"
                   for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])):
                failed.append(name)
    return failed


def build_pdf(browser: str | None = None) -> int:
    """``make pdf``: the whole book as one PDF, ``_build/book.pdf``, offline.

    Stages the book from the notebooks a previous ``make book`` executed (it
    executes none), builds it as a single HTML page (``--builder
    singlehtml``, warnings are errors), checks in Chromium's rendering of it
    that MathJax typeset the mathematics, and prints it with headless
    Chromium. Returns an exit status.
    """
    browser = find_chromium(browser)
    failed = failed_notebooks()
    if failed:
        print(f"[pdf] the last run of {', '.join(failed)} failed (its executed notebook in {EXECUTED} holds the "
              "error): rerun it (make run NB=...) or make book first", file=sys.stderr)
        return 1
    start = time.perf_counter()
    stage_dir = PDF_BUILD / "stage"
    stage(stage_dir)
    built = jupyter_book(stage_dir, PDF_BUILD / "jb", "singlehtml")
    # The single page is written as <root doc>.html (book/intro.html) with
    # links relative to the build folder (_static/, _images/): print a copy
    # that sits there.
    source = (built / f"{toc_files()[0]}.html").read_text(encoding="utf-8")
    page = built / "book.html"
    page.write_text(source, encoding="utf-8")
    n_math = len(re.findall(r'class="math', source))
    dom = _chromium(browser, "--dump-dom", page.as_uri())
    typeset = len(re.findall(r"<mjx-container\b", dom.stdout))
    print(f"[pdf] {n_math} formulas in the page, {typeset} typeset by MathJax", flush=True)
    if n_math and typeset < n_math:
        print(f"[pdf] MathJax did not typeset every formula ({typeset} of {n_math}) within "
              f"{VIRTUAL_TIME_MS} ms of virtual time: {dom.stderr[-2000:]}", file=sys.stderr)
        return 1
    PDF.unlink(missing_ok=True)
    done = _chromium(browser, "--no-pdf-header-footer", f"--print-to-pdf={PDF}", page.as_uri())
    if done.returncode or not PDF.exists():
        print(f"[pdf] Chromium failed (exit {done.returncode}): {done.stderr[-2000:]}", file=sys.stderr)
        return 1
    figures = len(re.findall(r"<img\b", source))
    print(f"[pdf] {PDF}: {pdf_pages(PDF)} pages, {PDF.stat().st_size / 2**20:.1f} MiB, "
          f"{figures} images, in {time.perf_counter() - start:.0f} s ({build_line(build_info())})")
    return 0


_ERROR_MARKERS = (
    re.compile(r'class="[^"]*\boutput traceback\b'),
    re.compile(r'class="[^"]*\boutput error\b'),
    re.compile(r"Traceback \(most recent call last\)"),
)
_FIGURE = re.compile(r"<img\b[^>]*\bsrc=")


# -- the prose a reader sees -------------------------------------------------

#: Elements whose text is not prose: the page's head, scripts and styles,
#: code (``<pre>``, inline ``<code>``), and the mathematics MathJax typesets.
_NOT_PROSE_TAGS = frozenset({"head", "script", "style", "template", "noscript", "svg", "math", "textarea",
                             "pre", "code", "kbd", "samp", "tt"})
#: Classes that mark the same: ``math`` (``span.math``, ``div.math``: TeX
#: that MathJax typesets), code blocks (``highlight``), myst-nb's code cells
#: (``cell_input``) and their outputs (``cell_output``, ``output``: a
#: DataFrame may rightly show many digits), and Sphinx's heading anchors.
_NOT_PROSE_CLASSES = frozenset({"math", "highlight", "cell_input", "cell_output", "output", "headerlink"})
#: Elements that end a run of prose (a sentence never continues across them).
_BLOCK_TAGS = frozenset({"html", "body", "main", "article", "section", "aside", "nav", "header", "footer",
                         "div", "p", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
                         "tbody", "tfoot", "tr", "td", "th", "caption", "figure", "figcaption", "details",
                         "summary", "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "pre"})
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                        "source", "track", "wbr"})


class _ProseParser(HTMLParser):
    """Collects the visible prose of a page as blocks of text (see :func:`prose_blocks`)."""

    def __init__(self, scope: str | None):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._text: list[str] = []
        self._open: list[tuple[str, bool, bool]] = []  # (tag, not prose, is the scope)
        self._hidden = 0
        self._scope = scope
        self._in_scope = 0 if scope else 1

    def _end_block(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append(text)
        self._text = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self._end_block()
        if tag in _VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        hidden = tag in _NOT_PROSE_TAGS or bool(classes & _NOT_PROSE_CLASSES)
        if hidden and not self._hidden and self._in_scope and tag not in _BLOCK_TAGS:
            # an inline formula or literal: keep the words on either side apart
            if "math" in classes:
                self._text.append(" ⟨math⟩ ")
            elif tag in ("code", "kbd", "samp", "tt"):
                self._text.append(" ⟨code⟩ ")
        self._open.append((tag, hidden, tag == self._scope))
        self._hidden += hidden
        self._in_scope += tag == self._scope

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self._end_block()

    def handle_endtag(self, tag):
        if not any(entry[0] == tag for entry in self._open):
            return  # a stray end tag
        while True:
            name, hidden, scope = self._open.pop()
            self._hidden -= hidden
            self._in_scope -= scope
            if name in _BLOCK_TAGS:
                self._end_block()
            if name == tag:
                break

    def handle_data(self, data):
        if self._in_scope and not self._hidden:
            self._text.append(data)

    def close(self):
        super().close()
        self._end_block()


def prose_blocks(html: str) -> list[str]:
    """The visible prose of an HTML page, as a list of blocks (paragraphs,
    list items, table cells, headings, captions), whitespace collapsed.

    Only the page's ``<article>`` is read when it has one (the theme's
    navigation and footer repeat titles the article has). Left out: what
    :data:`_NOT_PROSE_TAGS` and :data:`_NOT_PROSE_CLASSES` name (code, code
    cells and their outputs, MathJax's mathematics); an inline formula or
    literal leaves ``⟨math⟩`` or ``⟨code⟩`` in its place. Glued values
    (``{glue:text}``, myst-nb's ``span.pasted-text``) are prose.
    """
    parser = _ProseParser("article" if re.search(r"<article\b", html) else None)
    parser.feed(html)
    parser.close()
    return parser.blocks


_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
#: A number in prose: ``7``, ``2,250``, ``0.8312``, ``2.2·10⁸``, ``−3.5``;
#: not a piece of an identifier or a longer dotted or hyphenated token (a
#: version ``1.26.4``, a DOI ``10.1137/20M131309X``, a date ``2026-12-07``,
#: a commit ``8e18c3c``, ``E7``, ``5e-7``).
_NUMBER = (r"(?<![\w.,/:@#])(?<!\w[-−])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
           rf"(?:\s?[·×]\s?10[⁻{_SUPERSCRIPT_DIGITS}]+)?(?![\w/@]|[.,:]\d)")
_NUMBER_RE = re.compile(_NUMBER)
_RANGE_JOIN = r"\s*(?:–|\bto\b|\band\b)\s*"
#: A factor or ratio: the number(s) after "factor", "factors", "ratio" (with
#: "of" and "about", "roughly", "≈" ... between), or before "times", "-fold"
#: or a "×" that is not a product of two numbers (``10×100`` is a shape).
_RATIO_RE = re.compile(
    rf"\b(?:factors?|ratios?)(?:\s+of)?(?:\s+(?:about|around|roughly|nearly|almost|over|under|at\s+least|"
    rf"at\s+most|up\s+to|some|between|from|~|≈))?\s*(?P<a>{_NUMBER})(?:{_RANGE_JOIN}(?P<b>{_NUMBER}))?"
    rf"|(?P<c>{_NUMBER})(?:{_RANGE_JOIN}(?P<d>{_NUMBER}))?\s*(?:times\b|-?fold\b|×(?!\s?\d))",
    re.I)
#: "between X and Y", "from X to Y", "X–Y" (en dash, spaces allowed) and
#: "X-Y" (hyphen, no spaces, not part of a longer hyphenated token).
_RANGE_RES = (
    re.compile(rf"\bbetween\s+(?P<a>{_NUMBER})\s+and\s+(?P<b>{_NUMBER})", re.I),
    re.compile(rf"\bfrom\s+(?P<a>{_NUMBER})\s+to\s+(?P<b>{_NUMBER})", re.I),
    re.compile(rf"(?P<a>{_NUMBER})\s?–\s?(?P<b>{_NUMBER})"),
    re.compile(r"(?<![\w.,/:@#-])(?P<a>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
               r"-(?P<b>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?![\w-]|[.,:]\d)"),
)
#: TeX that was not typeset: a backslash command (``\ell``, ``\|``,
#: ``\(``), a ``$...$`` or ``$$`` pair, a sub- or superscript group.
_TEX_RE = re.compile(r"\\[A-Za-z]+|\\[^\s\w]|\$\$|\$[^$\s](?:[^$]*[^$\s])?\$(?!\d)|[_^]\{")


def significant_digits(number: str) -> int:
    """How many significant digits a number as printed shows.

    A decimal counts every digit from its first non-zero one, trailing zeros
    included (``1.0000``: 5, ``0.0120``: 3); an integer's trailing zeros do
    not count (``50,000``: 1, ``9,143``: 4); ``m·10ᵉ`` counts ``m``.
    """
    mantissa = re.split(r"\s?[·×]\s?10", number)[0].replace(",", "").lstrip("-−")
    if "." in mantissa:
        digits = mantissa.replace(".", "").lstrip("0")
        return len(digits) if digits else len(mantissa.split(".")[1])
    return len(mantissa.strip("0"))


def _value(number: str) -> float:
    """The value of a number as :data:`_NUMBER` matches it (``2.2·10⁸``: 2.2e8)."""
    match = re.fullmatch(rf"(.+?)(?:[·×]10([⁻{_SUPERSCRIPT_DIGITS}]+))?", re.sub(r"[\s,]", "", number))
    value = float(match.group(1))
    if match.group(2):
        value *= 10.0 ** int(match.group(2).translate(str.maketrans(_SUPERSCRIPT_DIGITS + "⁻", "0123456789-")))
    return value


def _excerpt(text: str, start: int, end: int, width: int = 50) -> str:
    left, right = max(0, start - width), min(len(text), end + width)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


#: At most this many significant digits for a factor, ratio or decimal.
MAX_DIGITS = 3


def check_prose(html: str) -> list[str]:
    """Problems in the visible prose of a page (:func:`prose_blocks`).

    Three rules, each reported with the words around the finding:

    * **raw TeX**: a backslash command (``\\ell``, ``\\|``, ``\\mathbb``,
      ``\\(``), a ``$…$`` or ``$$`` pair, or ``_{`` / ``^{`` in prose. MathJax
      typesets only the ``math`` elements (the book's sections are
      ``mathjax_ignore``), so TeX anywhere else is shown as typed.
    * **over-precise number**: a number with more than :data:`MAX_DIGITS`
      significant digits (see :func:`significant_digits`) that is either a
      *factor or ratio* (after "factor", "factors", "ratio", or before
      "times", "-fold", or "×" that is not a product such as ``10×100``;
      both ends of "X–Y times", "between X and Y times") or a *decimal* (any
      number with a decimal point: a measured value shown to 4 digits claims
      more than the experiment gives). So "a factor 9,143", "6,513 times",
      "1.0000" and "0.8312" are reported, while counts ("2,250 samples",
      "1,863,937 points", "50,000 epochs"), years, page ranges and
      identifiers (versions ``1.26.4``, DOIs, dates, commits) are not.
      ``dnngap.experiments.describe.number`` prints at most 3 digits.
    * **collapsed range**: "between X and X", "from X to X", "X–X" or
      "X-X" whose two ends are the same number (``describe.span`` prints one
      number instead).
    """
    problems = []
    for text in prose_blocks(html):
        for match in _TEX_RE.finditer(text):
            problems.append(f"raw TeX {match.group()!r}: “{_excerpt(text, *match.span())}”")
        flagged = set()
        for match in _RATIO_RE.finditer(text):
            for group in "abcd":
                number = match.group(group)
                if number and significant_digits(number) > MAX_DIGITS:
                    flagged.add(match.start(group))
                    problems.append(f"over-precise factor {number!r} (more than {MAX_DIGITS} significant "
                                    f"digits): “{_excerpt(text, *match.span())}”")
        for match in _NUMBER_RE.finditer(text):
            number = match.group()
            if "." in number.split("·")[0] and match.start() not in flagged \
                    and significant_digits(number) > MAX_DIGITS:
                problems.append(f"over-precise number {number!r} (more than {MAX_DIGITS} significant "
                                f"digits): “{_excerpt(text, *match.span())}”")
        for pattern in _RANGE_RES:
            for match in pattern.finditer(text):
                if _value(match.group("a")) == _value(match.group("b")):
                    problems.append(f"collapsed range {match.group()!r} (both ends the same): "
                                    f"“{_excerpt(text, *match.span())}”")
    return problems


def check_html(html_dir: Path, names: list[str], pages: list[str] = ()) -> list[str]:
    """Problems with the built pages: missing page, no figure, errors, prose.

    ``names`` are notebooks (``notebooks/<name>.html``): each must contain at
    least one image and no traceback or error output. ``pages`` are the other
    pages (``book/intro`` for ``book/intro.html``). On every page, the visible
    prose must pass :func:`check_prose` (no raw TeX, no over-precise factor or
    decimal, no collapsed range). Returns a list of human-readable problems
    (empty if fine).
    """
    problems = []
    for name, path in [(n, f"notebooks/{n}") for n in names] + [(None, p) for p in pages]:
        page = html_dir / f"{path}.html"
        if not page.exists():
            problems.append(f"{page}: page missing")
            continue
        text = page.read_text(encoding="utf-8")
        if name is not None:
            if not _FIGURE.search(text):
                problems.append(f"{page}: no figure")
            for marker in _ERROR_MARKERS:
                if marker.search(text):
                    problems.append(f"{page}: error output ({marker.pattern})")
                    break
        problems += [f"{page}: {problem}" for problem in check_prose(text)]
    return problems


def book_pages() -> list[str]:
    """The toc's pages that are not notebooks (``book/intro``, ...)."""
    return [f for f in toc_files() if not f.startswith("notebooks/")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default=os.environ.get("SCALE", "ci"), choices=SCALES,
                        help="experiment scale passed to every notebook (default: $SCALE or ci)")
    parser.add_argument("--only", metavar="NB", default=None,
                        help="execute only this notebook (others are reused from _build/executed "
                             "when present, executed otherwise), then build the book")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"),
                        help="extra papermill parameter for the --only notebook (repeatable)")
    parser.add_argument("--no-html", action="store_true", help="execute notebooks only")
    parser.add_argument("--pdf", action="store_true",
                        help=f"execute nothing: build the notebooks executed by a previous run into one PDF, "
                             f"{PDF.relative_to(ROOT)} (needs Chromium; see build_pdf)")
    parser.add_argument("--chromium", metavar="PATH", default=None,
                        help="with --pdf: the browser to print with (default: $CHROMIUM, else chromium)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "1")),
                        help="notebooks executed at once (default: $JOBS or 1); they share the "
                             "results store, whose locks keep a shared unit from being computed twice")
    args = parser.parse_args(argv)

    names = notebooks()
    if args.pdf:
        if args.only is not None or args.parameter or args.no_html:
            parser.error("--pdf executes nothing: it takes no --only, -p or --no-html")
        try:
            return build_pdf(args.chromium)
        except FileNotFoundError as exc:
            print(f"[pdf] {exc}", file=sys.stderr)
            return 2
    if args.only is not None:
        only = Path(args.only).stem
        if only not in names:
            parser.error(f"NB must be one of {names}; got {args.only!r}")
        args.only = only
        given = {k: parse_value(v) for k, v in args.parameter}
        try:  # before any work: a typo must not cost a run
            check_parameters(only, given, notebook_parameters(notebook_source(only)))
        except ValueError as exc:
            parser.error(str(exc))
    elif args.parameter:
        parser.error("-p/--parameter needs --only NB (parameters differ between notebooks)")

    start = time.perf_counter()
    jobs = []
    for name in names:
        params = {"scale": args.scale}
        if name == args.only:
            params.update({k: parse_value(v) for k, v in args.parameter})
            # papermill -p scale ... overrides --scale for this notebook
        elif args.only is not None and (EXECUTED / f"{name}.ipynb").exists():
            continue
        jobs.append((name, params))
    failed = execute_all(sorted(jobs, key=lambda job: _cost_rank(job[0])), args.jobs)
    if failed:
        print(f"[book] {len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if args.no_html:
        return 0
    stage()
    build_html()
    problems = check_html(HTML, names, book_pages())
    if problems:
        print("[book] problems in the built pages:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"[book] built in {time.perf_counter() - start:.0f} s: open {HTML / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
