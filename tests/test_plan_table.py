"""The plan table of book/reproducing.md (tools/plan_table.py): current with
the committed results and the specs, and built as documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from dnngap import experiments

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("plan_table", ROOT / "tools" / "plan_table.py")
plan_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plan_table)


def test_the_page_shows_the_plan_of_the_committed_results():
    assert plan_table.main(["--check"]) == 0, (
        "book/reproducing.md: the plan table is stale; run python tools/plan_table.py --write")


def test_table_rows_and_no_measurement(tmp_path):
    text = plan_table.table(experiments.Store(tmp_path), keys=[], names=["e7_delta", "e6"])
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    units = {name: len(experiments.get(name, "paper").units()) for name in ("e7_delta", "e6")}
    assert rows[0] == (f"| `e7_delta` {experiments.get('e7_delta', 'paper').title} | {units['e7_delta']} | 0 | "
                       f"{units['e7_delta']} | no measurement |")
    assert rows[1].endswith(f"| {units['e6']} | 0 | {units['e6']} | no measurement |")
    assert "From the 0 unit files committed" in text and "- none: nothing committed" in text


def test_replace_block():
    page = "a\n<!-- plan-table:start -->\nold\n<!-- plan-table:end -->\nb\n"
    assert plan_table.replace_block(page, "new") == "a\n<!-- plan-table:start -->\nnew\n<!-- plan-table:end -->\nb\n"
    with pytest.raises(ValueError, match="must hold"):
        plan_table.replace_block("no markers", "new")
