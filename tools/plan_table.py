"""The plan of every experiment at paper scale, as a table for book/reproducing.md.

``python tools/plan_table.py`` prints the table. ``tools/build_book.py``
writes it into the staged book (``book/_generated/plan.md``, included by
book/reproducing.md) at every build, so the page is always current.

Only the results *committed* to git count (``git ls-files results``), as done
and as measurements, so that the table is the same on every clone: a unit
computed here but not committed is still missing on the page. The estimates
are :func:`dnngap.experiments.plan`'s (see :mod:`dnngap.experiments.planning`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from dnngap import experiments
from dnngap.experiments import planning

ROOT = Path(__file__).resolve().parent.parent


def committed(store: experiments.Store) -> list[str]:
    """Keys of the unit files committed under the store's root (none outside git)."""
    return importlib.import_module("dnngap.experiments.verify").committed_keys(store) or []


def table(store: experiments.Store | None = None, keys: list[str] | None = None,
          names: list[str] | None = None) -> str:
    """The Markdown table: one row per experiment at paper scale, then the cost models.

    ``keys``: the stored units that count (default: the committed ones).
    """
    store = store or experiments.Store(ROOT / "results")
    keys = committed(store) if keys is None else keys
    names = names or experiments.available()
    plans = [experiments.plan(experiments.get(name, "paper"), store, keys=keys) for name in names]
    gpus = sorted({g for p in plans for g in p.gpus})
    head = ["experiment", "units", "committed", "missing", "core-hours"] + [f"GPU-hours ({g})" for g in gpus]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    models: dict = {}
    for p in plans:
        hours, unknown = p.core_hours()
        n = len(p.missing)
        cells = [f"`{p.spec.name}` {p.spec.title}", f"{p.total:,}", f"{p.total - n:,}", f"{n:,}",
                 _cell(hours, unknown, n, any(r.extrapolated for r in p.rows()))]
        for g in gpus:
            on_gpu = [e.on(g) for e in p.missing if e.kind in planning.GPU_KINDS]
            known = [v for v in on_gpu if v is not None]
            cells.append(_cell(sum(known) / 3600, len(on_gpu) - len(known), len(on_gpu), False) if on_gpu else "–")
        lines.append("| " + " | ".join(cells) + " |")
        used = {e.cost_class for e in p.missing}
        models.update({k: m for k, m in p.models.items() if k[0] in used})
    lines += ["", f"From the {len(keys)} unit files committed to `results/`; core-hours as measured by the "
              "runs that computed them. \"no measurement for k\": k missing units of a cost class with no "
              "committed unit to estimate from, left out of the sum; † some estimates extrapolate beyond the "
              "sizes or $m$ measured. Cost models (time per trial):", ""]
    lines += [f"- {m}" for _, m in sorted(models.items())] or ["- none: nothing committed"]
    return "\n".join(lines)


def _cell(hours: float, unknown: int, n: int, extrapolated: bool) -> str:
    if n == 0:
        return "–"
    if unknown == n:
        return "no measurement"
    text = planning._hours(hours) + ("†" if extrapolated else "")
    return text + (f" + no measurement for {unknown:,}" if unknown else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
