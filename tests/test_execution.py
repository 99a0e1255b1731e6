"""Verifying stored results, and running on Dask (real worker processes):
same numbers as in process, a killed worker, a killed client."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dnngap import cs, experiments
from dnngap.experiments import CSMethod, DNNMethod, Store, runner, store as store_module
from test_experiments import tiny_spec

ROOT = Path(__file__).resolve().parent.parent
PROVENANCE = ("wall_time", "timestamp", "executor")
ENV = {**os.environ, "OMP_NUM_THREADS": "1",
       "PYTHONPATH": os.pathsep.join([str(ROOT / "lib"), os.environ.get("PYTHONPATH", "")])}


def smoke_spec(**kw):
    return tiny_spec(m_values=(20, 40), methods=(CSMethod(n_max=15), DNNMethod(depth=1, width=5, epochs=150)),
                     **kw)


def numbers(records):
    """Records by (method kind, m, trial), provenance dropped."""
    return {(r["method_kind"], r["m"], r["trial"]): {k: v for k, v in r.items() if k not in PROVENANCE}
            for r in records}


def assert_same_numbers(a, b):
    """CS exactly; DNNs equal up to rounding (same CPU: in practice exactly)."""
    na, nb = numbers(a), numbers(b)
    assert na.keys() == nb.keys()
    for key in na:
        if key[0] == "dnn":
            for f in ("rel_l2", "rel_l2_mc", "linf", "train_loss"):
                assert nb[key][f] == pytest.approx(na[key][f], rel=1e-6), (key, f)
        else:
            assert nb[key] == na[key], key


def tamper(store: Store, key: str, factor: float, trial: int = 0) -> None:
    """Edit a stored record's rel_l2 and re-checksum, as a stale or malicious file would look."""
    path = store.path(key)
    payload = json.loads(path.read_text())
    payload["records"][trial]["rel_l2"] *= factor
    payload["checksum"] = store_module._checksum(payload["records"])
    path.write_text(json.dumps(payload))
    assert store.read(key)["records"][trial]["rel_l2"] == payload["records"][trial]["rel_l2"]


# -- verify -------------------------------------------------------------------
@pytest.fixture
def computed(tmp_path):
    spec = smoke_spec()
    store = Store(tmp_path / "store")
    experiments.run(spec, store, progress=False)
    return spec, store


def test_verify_passes_on_fresh_units_and_writes_nothing(computed):
    spec, store = computed
    before = {k: store.path(k).stat().st_mtime_ns for k in store.keys()}
    report = experiments.verify(spec, store, sample=10)
    assert report.passed, str(report)
    assert len(report.checked) == 4 and report.stored == 4
    assert {k: store.path(k).stat().st_mtime_ns for k in store.keys()} == before
    cheap = experiments.verify(spec, store, sample=1, cheapest=True)
    times = {u.key: sum(r["wall_time"] for r in store.read(u.key)["records"]) for u in spec.units()}
    assert cheap.passed and cheap.checked[0].endswith(f"[{min(times, key=times.get)}]")


@pytest.mark.parametrize("kind, factor", [("cs", 1.001), ("dnn", 1.5), ("dnn", 3.0)])
def test_verify_fails_on_a_tampered_unit(computed, kind, factor):
    spec, store = computed
    unit = next(u for u in spec.units() if u.method.kind == kind and u.m == 40)
    tamper(store, unit.key, factor)
    report = experiments.verify(spec, store, sample=10)
    assert not report.passed
    assert [(m.key, m.field) for m in report.mismatches] == [(unit.key, "rel_l2")]
    assert report.mismatches[0].difference > 0.0009
    assert unit.key in str(report) and "FAILED" in str(report)


def test_verify_fails_when_numbers_change_without_a_version_bump(computed, monkeypatch):
    spec, store = computed
    monkeypatch.setattr(cs, "DEFAULT_LAMBDA", cs.DEFAULT_LAMBDA * 3)  # a CS change, NUMERICS_VERSION kept
    original = runner.compute_unit

    def changed(unit, *a, **k):  # a DNN change that moves every trial by 30%
        records = original(unit, *a, **k)
        if unit.method.kind == "dnn":
            for r in records:
                r.update({f: r[f] * 1.3 for f in ("rel_l2", "rel_l2_mc", "rel_l2_grid", "linf") if r[f]})
        return records

    monkeypatch.setattr(runner, "compute_unit", changed)
    report = experiments.verify(spec, store, sample=10)
    assert not report.passed
    assert {m.key for m in report.mismatches} == {u.key for u in spec.units()}


def test_verify_of_nothing_fails(tmp_path):
    report = experiments.verify(smoke_spec(), Store(tmp_path), sample=3)
    assert not report.passed and "nothing to verify" in str(report)
    with pytest.raises(ValueError, match="sample must be an integer >= 1; got 0"):
        experiments.verify(smoke_spec(), Store(tmp_path), sample=0)


def _cli(*args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "dnngap", *args], capture_output=True, text=True,
                          timeout=timeout, env={**ENV, **(env or {})})


@pytest.mark.slow
def test_cli_verify_exit_status(tmp_path):
    env = {"DNNGAP_RESULTS": str(tmp_path)}
    spec = experiments.get("e1", "smoke", dims=[2])
    none = _cli("verify", "e1", "--scale", "smoke", "--set", "dims=[2]", "--sample", "2", env=env)
    assert none.returncode == 1 and "nothing to verify" in none.stdout
    experiments.run(spec, Store(tmp_path), progress=False)
    unit = next(u for u in spec.units() if u.method.kind == "cs")
    tamper(Store(tmp_path), unit.key, 1.01)
    out = _cli("verify", "e1", "--scale", "smoke", "--set", "dims=[2]", "--sample", "4", env=env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"[{unit.key}]: rel_l2 differs by" in out.stdout and "verify: FAILED" in out.stdout
    other = _cli("verify", "e1", "--scale", "smoke", "--set", "dims=[2]", "--set", "functions=[exp_cos5]", env=env)
    assert other.returncode == 1 and "nothing to verify" in other.stdout  # other units, not stored
    bad = _cli("run", "e1", "--scale", "smoke", "--workers", "2", "--scheduler", "tcp://x:1", env=env)
    assert bad.returncode == 2 and "not allowed with argument" in bad.stderr


# -- Dask: a LocalCluster of worker processes ---------------------------------
@pytest.fixture(scope="module")
def client():
    c = experiments.local_cluster(2, dashboard_address=":0")
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


@pytest.mark.slow
def test_dask_run_gives_the_in_process_numbers(client, tmp_path):
    spec = smoke_spec()
    local = experiments.run(spec, Store(tmp_path / "local"), progress=False)
    dask = experiments.run(spec, Store(tmp_path / "dask"), progress=False, client=client)
    assert dask.complete and local.complete
    assert_same_numbers(local.records, dask.records)
    assert {r["executor"] for r in local.records} == {"local"}
    assert {r["executor"] for r in dask.records} <= set(client.scheduler_info()["workers"])


@pytest.mark.slow
def test_a_worker_killed_mid_unit_is_replaced(client, tmp_path):
    spec = tiny_spec(m_values=(10, 20, 30, 40), methods=(DNNMethod(depth=1, width=5, epochs=8000),))
    store = Store(tmp_path)
    out, errors = [], []
    thread = threading.Thread(target=lambda: _collect(out, errors, spec, store, client))
    thread.start()
    pids = client.run(os.getpid)
    victim = None
    deadline = time.time() + 60
    while victim is None and time.time() < deadline:
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            time.sleep(0.3)  # well inside the task (each takes seconds)
            busy = [w for w, keys in client.processing().items() if keys]
            victim = busy[0] if busy else None
        time.sleep(0.05)
    assert victim is not None and not store.keys(), "no task seen running before the first unit finished"
    os.kill(pids[victim], signal.SIGKILL)
    thread.join(timeout=120)
    assert not errors, errors
    assert out and out[0].complete and len(store.keys()) == 4
    assert victim not in {r["executor"] for r in out[0].records}


def _collect(out, errors, spec, store, client):
    try:
        out.append(experiments.run(spec, store, progress=False, client=client))
    except BaseException as exc:  # reported by the test
        errors.append(exc)


# -- Dask: a scheduler and two workers started by hand, the CLI as client ------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler():
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                               "--port", port, "--no-dashboard"], env=ENV, stderr=subprocess.DEVNULL)]
    try:
        worker = [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-nanny",
                  "--no-dashboard"]
        procs += [subprocess.Popen(worker, env=ENV, stderr=subprocess.DEVNULL) for _ in range(2)]
        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in procs[1:]:  # workers without nannies: nothing is left behind
            p.kill()
        procs[0].terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.slow
def test_cli_on_a_running_cluster_gives_the_in_process_numbers(scheduler, tmp_path):
    spec = experiments.get("e1", "smoke")
    local = experiments.run(spec, Store(tmp_path / "local"), progress=False)
    out = _cli("run", "e1", "--scale", "smoke", "--quiet", "--scheduler", scheduler,
               env={"DNNGAP_RESULTS": str(tmp_path / "dask")})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Dask: 2 workers" in out.stdout and "dashboard" in out.stdout
    dask = experiments.load(spec, Store(tmp_path / "dask"))
    assert dask.complete
    assert_same_numbers(local.records, dask.records)
    assert all(r["executor"].startswith("tcp://127.0.0.1:") for r in dask.records)


@pytest.mark.slow
def test_client_killed_mid_run_then_resumed(scheduler, tmp_path):
    env = {"DNNGAP_RESULTS": str(tmp_path)}
    args = ("run", "e1", "--scale", "smoke", "--quiet", "--set", "epochs=4000", "--scheduler", scheduler)
    spec = experiments.get("e1", "smoke", epochs=4000)
    store = Store(tmp_path)
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dnngap", *args], env={**ENV, **env},
                                stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline and not store.keys() and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, (tmp_path / "first.log").read_text()
    done = store.keys()
    assert 1 <= len(done) < len(spec.units()), "the client should have been killed mid-run"
    mtimes = {k: store.path(k).stat().st_mtime_ns for k in done}
    again = _cli(*args, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(spec.units())} units, {len(done)} already in" in again.stdout
    assert sorted(store.keys()) == sorted(u.key for u in spec.units())
    assert {k: store.path(k).stat().st_mtime_ns for k in done} == mtimes, "a stored unit was recomputed"
    assert not list(tmp_path.glob("*/*.tmp"))
