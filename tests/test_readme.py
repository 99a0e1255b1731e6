"""The README's library example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_library_example_runs(tmp_path, monkeypatch, capsys):
    (block,) = _python_blocks((ROOT / "README.md").read_text())
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "CS (HC, N ≤ 200)" in out and "ReLU 2×20" in out and "geomean" in out
    assert (tmp_path / "my_results").is_dir()
    # run again: everything is read from the store
    exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out == out
