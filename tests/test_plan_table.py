"""The plan table of book/reproducing.md (tools/plan_table.py, written into
the staged book at every build): built as documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from dnngap import experiments

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("plan_table", ROOT / "tools" / "plan_table.py")
plan_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plan_table)


def test_table_rows_and_no_measurement(tmp_path):
    text = plan_table.table(experiments.Store(tmp_path), keys=[], names=["e7_delta", "e6"])
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    units = {name: len(experiments.get(name, "paper").units()) for name in ("e7_delta", "e6")}
    assert rows[0] == (f"| `e7_delta` {experiments.get('e7_delta', 'paper').title} | {units['e7_delta']} | 0 | "
                       f"{units['e7_delta']} | no measurement |")
    assert rows[1].endswith(f"| {units['e6']} | 0 | {units['e6']} | no measurement |")
    assert "From the 0 unit files committed" in text and "- none: nothing committed" in text
