"""What computed the book's committed results, as a table for book/reproducing.md.

``python tools/provenance_table.py`` prints the table (``--all``: of every
unit in the store, committed or not); ``--write`` puts it
into book/reproducing.md between the markers ``<!-- provenance-table:start -->``
and ``<!-- provenance-table:end -->``; ``--check`` exits 1 when the page
differs from what it would write (tests/test_provenance_table.py runs that
check, so the page cannot silently go stale).

One row per experiment and scale with committed unit files (``git ls-files
results``, as tools/plan_table.py, so that the table is the same on every
clone): how many of the scale's units are committed, the numerics versions
they were computed with, the commits of the code that computed them, the
devices and the dates. A figure's caption names the scale and the commit
the page was built from; this table says what computed the numbers it draws.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

from dnngap import experiments

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "reproducing.md"
START, END = "<!-- provenance-table:start -->", "<!-- provenance-table:end -->"
SCALES = ("smoke", "ci", "paper")

_spec = importlib.util.spec_from_file_location("plan_table", ROOT / "tools" / "plan_table.py")
_plan_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_plan_table)


def _device(text: str) -> str:
    """``'cpu (1 threads)'`` -> ``'CPU, 1 thread'``; ``'cuda:0 (NVIDIA H100)'`` kept."""
    m = re.fullmatch(r"cpu \((\d+) threads?\)", text)
    if m:
        n = int(m.group(1))
        return f"CPU, {n} thread" + ("" if n == 1 else "s")
    return "CPU" if text == "cpu" else text


def rows(store: experiments.Store, keys: list[str], names: list[str] | None = None) -> list[list[str]]:
    """Table rows: experiment, scale, committed units, numerics, commits, devices, dates."""
    keys = set(keys)
    out = []
    for name in names or experiments.available():
        for scale in SCALES:
            spec = experiments.get(name, scale)
            units = spec.units()
            records = []
            for unit in units:
                if unit.key in keys and (payload := store.read(unit.key)) is not None:
                    records += payload["records"]
            done = len({(r["function"], r["d"], r["method_key"], r["m"]) for r in records})
            if not done:
                continue
            numerics = sorted({r.get("numerics") or r.get("code") for r in records})
            first = {}  # commit -> when it first computed a record here
            for r in sorted(records, key=lambda r: r["timestamp"]):
                first.setdefault(r["commit"], r["timestamp"])
            commits = list(first)
            devices = sorted({_device(r["device"]) for r in records})
            days = sorted({r["timestamp"][:10] for r in records})
            out.append([f"`{name}`", f"`{scale}`", f"{done:,} of {len(units):,}", ", ".join(numerics),
                        commits[0] if len(commits) == 1 else f"{len(commits)} commits, {commits[0]} to {commits[-1]}",
                        "; ".join(devices),
                        days[0] if days[0] == days[-1] else f"{days[0]} to {days[-1]}"])
    return out


def table(store: experiments.Store | None = None, keys: list[str] | None = None,
          names: list[str] | None = None) -> str:
    """The Markdown table (default: the committed unit files of the repository's store)."""
    store = store or experiments.Store(ROOT / "results")
    keys = _plan_table.committed(store) if keys is None else keys
    head = ["experiment", "scale", "points stored", "numerics", "computed by commit", "device", "computed on"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(store, keys, names)]
    if len(lines) == 2:
        lines.append("| none | | | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help=f"write the table into {PAGE.relative_to(ROOT)}")
    what.add_argument("--check", action="store_true", help="exit 1 if the page's table is not current")
    what.add_argument("--all", action="store_true",
                      help="every unit in the store (results/ or $DNNGAP_RESULTS), committed or not: what "
                           "computed the results a local build draws")
    args = parser.parse_args(argv)
    if args.all:
        store = experiments.Store()
        print(table(store, keys=store.keys()))
        return 0
    block = table()
    if not (args.write or args.check):
        print(block)
        return 0
    page = PAGE.read_text()
    if page.count(START) != 1 or page.count(END) != 1 or page.index(START) > page.index(END):
        raise ValueError(f"{PAGE.relative_to(ROOT)} must hold {START} once, then {END} once")
    before, rest = page.split(START)
    _, after = rest.split(END)
    new = f"{before}{START}\n{block}\n{END}{after}"
    if args.check:
        if new != page:
            print(f"{PAGE.relative_to(ROOT)}: the provenance table is not current; "
                  "run python tools/provenance_table.py --write")
            return 1
        return 0
    PAGE.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
