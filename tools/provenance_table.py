"""What computed the book's committed results, as a table for book/reproducing.md.

``python tools/provenance_table.py`` prints the table (``--all``: of every
unit in the store, committed or not). ``tools/build_book.py`` writes it into
the staged book (``book/_generated/provenance.md``, included by
book/reproducing.md) at every build, so the page is always current.

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
    parser.add_argument("--all", action="store_true",
                        help="every unit in the store (results/ or $DNNGAP_RESULTS), committed or not: what "
                             "computed the results a local build draws")
    args = parser.parse_args(argv)
    store = experiments.Store() if args.all else None
    print(table(store, keys=store.keys()) if args.all else table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
