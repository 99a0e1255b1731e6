"""tools/gpu_session.sh, the script for a day with a GPU, cannot run here (no
GPU): it parses, and without CUDA it stops at once, says why and still leaves
its log and an (empty) archive of new units. What it computes is
`python -m dnngap run --budget` (tests/test_planning.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "gpu_session.sh"


def test_gpu_session_script_parses():
    assert os.access(SCRIPT, os.X_OK)
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present: the script would use it")
def test_gpu_session_without_cuda_stops_and_says_so(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path / "out"), "DNNGAP_RESULTS": str(tmp_path / "store"),
           "PYTHON": sys.executable, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "lib"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([str(SCRIPT), "e1"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 3, out.stdout + out.stderr
    log = (tmp_path / "out" / "session.log").read_text()
    assert "no CUDA device" in log and "0 new unit files packed" in log
    with tarfile.open(tmp_path / "out" / "new_results.tar.gz") as archive:
        assert archive.getnames() == []
