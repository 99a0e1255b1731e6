"""The provenance table of book/reproducing.md (tools/provenance_table.py):
written into the staged book at every build, saying what computed the results."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from dnngap import experiments

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("provenance_table", ROOT / "tools" / "provenance_table.py")
provenance_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(provenance_table)


def test_rows_say_which_commits_numerics_and_devices_computed_the_points(tmp_path):
    store = experiments.Store(tmp_path)
    spec = experiments.get("e6", "smoke")
    unit = spec.units()[0]
    records = [{"function": unit.problem.function, "d": unit.problem.d, "m": unit.m, "method_key": "k",
                "numerics": "cs-v1+data-v2", "commit": commit, "device": "cpu (1 threads)", "timestamp": when}
               for commit, when in (("bbb", "2026-01-02T10:00:00"), ("aaa", "2026-01-01T10:00:00"))]
    store.write(unit.key, {}, records)
    assert provenance_table.table(store, keys=[], names=["e6"]).splitlines()[-1] == "| none | | | | | | |"
    (row,) = provenance_table.rows(store, [unit.key], names=["e6"])
    assert row == ["`e6`", "`smoke`", f"1 of {len(spec.units())}", "cs-v1+data-v2", "2 commits, aaa to bbb",
                   "CPU, 1 thread", "2026-01-01 to 2026-01-02"]
