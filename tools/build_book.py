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

Finally every notebook page of the built HTML is checked for at least one
figure and for error output (see :func:`check_html`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
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


def execute(name: str, parameters: dict, *, cwd: Path = ROOT) -> float:
    """Execute ``notebooks/<name>.md`` into ``_build/executed/<name>.ipynb``.

    Returns the wall time in seconds; raises on a failing cell.
    """
    import jupytext
    import papermill

    source = ROOT / "notebooks" / f"{name}.md"
    if not source.exists():
        raise FileNotFoundError(f"notebook {name!r} not found: {source} (NB must be one of {notebooks()})")
    nb = jupytext.read(source)
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


def stage() -> None:
    """Copy the book sources and executed notebooks into ``_build/stage``."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    STAGE.mkdir(parents=True)
    for item in SOURCES:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, STAGE / item)
        else:
            shutil.copy2(src, STAGE / item)
    (STAGE / "notebooks").mkdir()
    if DATA.exists():
        shutil.copytree(DATA, STAGE / "notebooks" / "data")
    for name in notebooks():
        executed = EXECUTED / f"{name}.ipynb"
        if not executed.exists():
            raise FileNotFoundError(f"{executed} is missing: execute the notebook first")
        nb = nbformat.read(executed, as_version=4)
        for cell in nb.cells:  # collapse papermill's injected-parameters cell
            tags = cell.metadata.setdefault("tags", [])
            if "injected-parameters" in tags and "hide-input" not in tags:
                tags.append("hide-input")
        nbformat.write(nb, STAGE / "notebooks" / executed.name)


def build_html() -> None:
    """Build ``_build/stage`` into ``_build/html``; warnings are errors."""
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"), "build", str(STAGE),
        "--path-output", str(BUILD / "jb"), "-W", "-n", "--keep-going",
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    if HTML.exists():
        shutil.rmtree(HTML)
    shutil.move(str(BUILD / "jb" / "_build" / "html"), HTML)


_ERROR_MARKERS = (
    re.compile(r'class="[^"]*\boutput traceback\b'),
    re.compile(r'class="[^"]*\boutput error\b'),
    re.compile(r"Traceback \(most recent call last\)"),
)
_FIGURE = re.compile(r"<img\b[^>]*\bsrc=")


def check_html(html_dir: Path, names: list[str]) -> list[str]:
    """Problems with the built notebook pages: missing page, no figure, errors.

    Every notebook page must contain at least one image and no traceback or
    error output. Returns a list of human-readable problems (empty if fine).
    """
    problems = []
    for name in names:
        page = html_dir / "notebooks" / f"{name}.html"
        if not page.exists():
            problems.append(f"{page}: page missing")
            continue
        text = page.read_text(encoding="utf-8")
        if not _FIGURE.search(text):
            problems.append(f"{page}: no figure")
        for marker in _ERROR_MARKERS:
            if marker.search(text):
                problems.append(f"{page}: error output ({marker.pattern})")
                break
    return problems


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
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "1")),
                        help="notebooks executed at once (default: $JOBS or 1); they share the "
                             "results store, whose locks keep a shared unit from being computed twice")
    args = parser.parse_args(argv)

    names = notebooks()
    if args.only is not None:
        only = Path(args.only).stem
        if only not in names:
            parser.error(f"NB must be one of {names}; got {args.only!r}")
        args.only = only
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
    problems = check_html(HTML, names)
    if problems:
        print("[book] problems in the built pages:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"[book] built in {time.perf_counter() - start:.0f} s: open {HTML / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
