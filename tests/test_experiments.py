"""Experiment specs, the results store and the runner: validation, resumption,
interruption, corruption and concurrency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from dnngap import experiments
from dnngap.experiments import (CSMethod, DNNMethod, ExperimentSpec, Problem, Store, TestSpec,
                                catalog, runner)

ROOT = Path(__file__).resolve().parent.parent


def tiny_spec(name: str = "tiny", m_values=(10, 20, 30, 40), methods=None, **kw) -> ExperimentSpec:
    methods = methods or (CSMethod(n_max=15), DNNMethod(depth=1, width=5, epochs=150))
    return ExperimentSpec(name=name, title="tiny", scale="smoke",
                          problems=(Problem("exp_cos", 2, tuple(m_values)),), methods=methods,
                          trials=2, test=TestSpec(estimator="monte_carlo", mc_points=500), **kw)


# -- specs and validation ---------------------------------------------------
@pytest.mark.parametrize("name", catalog.available())
@pytest.mark.parametrize("scale", experiments.SCALES)
def test_every_experiment_resolves_at_every_scale(name, scale):
    spec = experiments.get(name, scale)
    assert spec.scale == scale and spec.units()
    assert ExperimentSpec.from_dict(json.loads(spec.to_json())) == spec


def test_paper_scale_is_the_paper_protocol():
    spec = experiments.get("e1", "paper")
    assert spec.trials == 20
    assert spec.problems[-1].m_values == tuple(range(75, 2251, 75))
    dnns = [m for m in spec.methods if isinstance(m, DNNMethod)]
    assert {(m.depth, m.width) for m in dnns} >= {(1, 10), (4, 40), (10, 100)}
    assert {m.training().resolved_epochs for m in dnns} == {50_000}
    assert dict(spec.test.grid_levels)[8] == 9  # the authors' 1,863,937-point grid


@pytest.mark.parametrize("overrides, message", [
    ({"trails": 3}, "unknown override(s) ['trails']"),
    ({"trials": "3"}, "trials must be int"),
    ({"functions": ["nope"]}, "function must be one of"),
    ({"activations": ["swish"]}, "activation"),
    ({"estimator": "sparse_grid", "functions": ["halfspace"]}, "not meaningful for 'halfspace'"),
    ({"m_values": [40, 20]}, "strictly increasing"),
    ({"dims": [3], "functions": ["f1"]}, "d must be one of"),
])
def test_bad_overrides_are_rejected_naming_the_key(overrides, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        experiments.get("e1", "smoke", **overrides)


def test_from_dict_rejects_unknown_keys():
    data = tiny_spec().to_dict()
    data["methods"][0]["lamda"] = 1e-3
    with pytest.raises(ValueError, match="unknown key.*lamda"):
        ExperimentSpec.from_dict(data)


def test_overrides_change_what_they_say():
    spec = experiments.get("e2", "smoke", architectures=["2x20", "3x30"], activations=["elu"], trials=4)
    dnns = [m for m in spec.methods if isinstance(m, DNNMethod)]
    assert [(m.depth, m.width, m.activation) for m in dnns] == [(2, 20, "elu"), (3, 30, "elu")]
    assert spec.trials == 4
    assert any(isinstance(m, CSMethod) for m in spec.methods)


def test_keys_change_only_with_what_they_depend_on():
    a = tiny_spec()
    b = tiny_spec(methods=(CSMethod(n_max=15), DNNMethod(depth=1, width=5, epochs=151)))
    ka = {(u.method.kind, u.m): u.key for u in a.units()}
    kb = {(u.method.kind, u.m): u.key for u in b.units()}
    for m in (10, 20, 30, 40):
        assert ka[("cs", m)] == kb[("cs", m)]
        assert ka[("dnn", m)] != kb[("dnn", m)]
    # a longer m grid adds units, and does not change the existing ones (nested samples)
    c = tiny_spec(m_values=(10, 20, 30, 40, 50))
    kc = {(u.method.kind, u.m): u.key for u in c.units()}
    assert all(kc[k] == v for k, v in ka.items())


def test_keys_follow_numerics_versions_not_source_or_package_version(monkeypatch):
    import dnngap
    from dnngap import cs, dnn

    def keys():
        return {u.method.kind: u.key for u in tiny_spec(m_values=(10,)).units()}

    before = keys()
    monkeypatch.setattr(dnngap, "__version__", "99.0.0")  # a release orphans nothing
    assert keys() == before
    monkeypatch.setattr(dnn, "NUMERICS_VERSION", dnn.NUMERICS_VERSION + 1)
    bumped = keys()
    assert bumped["cs"] == before["cs"] and bumped["dnn"] != before["dnn"]
    monkeypatch.setattr(cs, "NUMERICS_VERSION", cs.NUMERICS_VERSION + 1)
    assert keys()["cs"] != before["cs"]
    monkeypatch.setattr(runner, "NUMERICS_VERSION", 7)  # shared: samples, tests, errors
    assert experiments.code_version("existence") == f"existence-v1+cs-v{cs.NUMERICS_VERSION}+data-v7"
    assert all(keys()[k] != bumped[k] for k in before)
    with pytest.raises(ValueError, match="kind must be one of 'cs', 'dnn', 'existence', 'finetune', 'recipe'; got 'svm'"):
        experiments.numerics_versions("svm")


# -- the store --------------------------------------------------------------
def test_store_round_trip_and_damage_detection(tmp_path):
    store = Store(tmp_path)
    records = [{"trial": 0, "rel_l2": 1e-3}]
    path = store.write("abc", {"c": 1}, records)
    assert store.read("abc")["records"] == records
    text = path.read_text()
    path.write_text(text[: len(text) // 2])  # truncated
    with pytest.warns(UserWarning, match="damaged"):
        assert store.read("abc") is None
    payload = json.loads(text)
    payload["records"][0]["rel_l2"] = 2e-3  # silently edited: checksum mismatch
    path.write_text(json.dumps(payload))
    with pytest.warns(UserWarning, match="damaged"):
        assert store.read("abc") is None
    assert store.read("missing") is None


def test_store_write_removes_what_a_killed_write_left(tmp_path):
    """A run killed between creating its temporary file and the rename leaves
    ``.<key>.*.tmp`` behind; the next write of that unit removes it, and
    leaves other units' files alone."""
    store = Store(tmp_path)
    (tmp_path / "ab").mkdir()
    stale = tmp_path / "ab" / ".abc.k1ll3d.tmp"
    stale.write_text('{"key": "abc", "rec')
    other = tmp_path / "ab" / ".abd.xyz.tmp"
    other.write_text("")
    with store.lock("abc") as acquired:
        assert acquired
        store.write("abc", {"c": 1}, [{"trial": 0}])
    assert not stale.exists() and other.exists()
    assert store.read("abc")["records"] == [{"trial": 0}]


def test_store_location_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DNNGAP_RESULTS", str(tmp_path / "elsewhere"))
    assert Store().root == tmp_path / "elsewhere"


# -- running ----------------------------------------------------------------
def test_run_fills_store_and_rerun_reads_it(tmp_path, monkeypatch):
    spec = tiny_spec()
    store = Store(tmp_path)
    res = experiments.run(spec, store, progress=False)
    assert res.complete and len(res.records) == len(spec.units()) * spec.trials
    for r in res.records:
        assert r["estimator"] == "monte_carlo" and r["rel_l2"] == r["rel_l2_mc"]
        assert 0 < r["rel_l2"] < 1 and r["device"].startswith("cpu")
    # the same spec again computes nothing
    monkeypatch.setattr(runner, "compute_unit", lambda *a, **k: pytest.fail("recomputed a finished unit"))
    again = experiments.run(spec, store, progress=False)
    assert again.records == res.records


def test_results_statistics_are_the_geometric_mean(tmp_path):
    spec = tiny_spec(methods=(CSMethod(n_max=15),))
    res = experiments.run(spec, Store(tmp_path), progress=False)
    for row in res.summary():
        vals = [r["rel_l2"] for r in res.select(m=row.m)]
        assert row.geomean == pytest.approx(np.exp(np.mean(np.log(vals))), rel=1e-12)
        assert row.log10_std == pytest.approx(np.std(np.log10(vals)), rel=1e-12, abs=1e-15)
    assert "CS (HC, N ≤ 15)" in str(res.table())


def test_corrupted_unit_is_recomputed(tmp_path):
    spec = tiny_spec(methods=(CSMethod(n_max=15),))
    store = Store(tmp_path)
    experiments.run(spec, store, progress=False)
    unit = spec.units()[1]
    store.path(unit.key).write_text("{ truncated")
    with pytest.warns(UserWarning, match="damaged"):
        assert not experiments.load(spec, store).complete
    with pytest.warns(UserWarning, match="damaged"):
        res = experiments.run(spec, store, progress=False)
    assert res.complete and len(res.records) == len(spec.units()) * spec.trials


def test_same_parameters_give_the_same_numbers(tmp_path):
    spec = tiny_spec(m_values=(20,))
    a = experiments.run(spec, Store(tmp_path / "a"), progress=False)
    b = experiments.run(spec, Store(tmp_path / "b"), progress=False)
    strip = lambda rs: [{k: v for k, v in r.items() if k not in ("wall_time", "timestamp")} for r in rs]
    assert strip(a.records) == strip(b.records)


def test_results_prefers_a_complete_larger_scale(tmp_path):
    store = Store(tmp_path)
    small = experiments.get("e7", "smoke")
    bigger = experiments.get("e7", "ci")
    fake = [{"function": "exp_cos", "d": u.problem.d, "m": u.m, "trial": 0, "method": u.method.label,
             "rel_l2": 1.0, "estimator": "monte_carlo", "wall_time": 0.0, "device": "cpu",
             "code": "x", "commit": "y"} for u in bigger.units()]
    for u in bigger.units():
        store.write(u.key, u.config(), [r for r in fake if r["m"] == u.m][:1])
    got = experiments.results("e7", "smoke", store=store)
    assert got.scale == "ci" and got.complete
    assert small.units()  # (not computed: the ci results were used)


# -- interruption and concurrency (real processes) --------------------------
_DRIVER = textwrap.dedent("""
    import sys
    from dnngap import experiments
    from dnngap.experiments import runner
    sys.path.insert(0, {tests!r})
    from test_experiments import tiny_spec

    log = open({log!r}, "a")
    original = runner.compute_unit
    def logged(unit, *a, **k):
        out = original(unit, *a, **k)
        log.write(unit.key + "\\n"); log.flush()
        return out
    runner.compute_unit = logged
    spec = tiny_spec(m_values=(10, 20, 30, 40, 50, 60), methods=(experiments.DNNMethod(depth=1, width=5, epochs=2000),))
    experiments.run(spec, experiments.Store({store!r}), progress=False)
""")


def _driver(tmp_path: Path, log: Path) -> Path:
    script = tmp_path / f"driver_{log.stem}.py"
    script.write_text(_DRIVER.format(tests=str(ROOT / "tests"), log=str(log), store=str(tmp_path / "store")))
    return script


@pytest.mark.slow
def test_kill_dash_nine_then_resume(tmp_path):
    log = tmp_path / "first.log"
    proc = subprocess.Popen([sys.executable, str(_driver(tmp_path, log))])
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_text().split()) < 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    logged = log.read_text().split()  # computed; the last one may not be stored yet
    assert 2 <= len(logged) < 6, "the run should have been killed mid-way"
    store = Store(tmp_path / "store")
    finished = store.keys()
    assert set(logged[:-1]) <= set(finished) <= set(logged)
    mtimes = {k: store.path(k).stat().st_mtime_ns for k in finished}

    log2 = tmp_path / "second.log"
    subprocess.run([sys.executable, str(_driver(tmp_path, log2))], check=True)
    recomputed = log2.read_text().split()
    assert not set(recomputed) & set(finished), "a finished unit was recomputed"
    assert sorted(finished + recomputed) == sorted(store.keys())
    assert len(store.keys()) == 6
    assert all(store.path(k).stat().st_mtime_ns == t for k, t in mtimes.items())
    assert not list((tmp_path / "store").glob("*/*.tmp"))


@pytest.mark.slow
def test_two_concurrent_runs_share_the_work(tmp_path):
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [subprocess.Popen([sys.executable, str(_driver(tmp_path, log))]) for log in logs]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    computed = sum((log.read_text().split() if log.exists() else [] for log in logs), [])
    store = Store(tmp_path / "store")
    assert sorted(computed) == sorted(store.keys()), "some unit was computed twice"
    assert len(computed) == 6
    for key in store.keys():
        assert len(store.read(key)["records"]) == 2


# -- command line -----------------------------------------------------------
def _cli(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "dnngap", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_cli_list_names_every_experiment():
    out = _cli("list")
    assert out.returncode == 0
    assert [line.split()[0] for line in out.stdout.splitlines()] == catalog.available()


@pytest.mark.slow
def test_cli_run_smoke_then_rerun_reads_the_store(tmp_path):
    env = {"DNNGAP_RESULTS": str(tmp_path)}
    short = ("--set", "epochs=300")  # a shortened protocol keeps the test fast
    first = _cli("run", "e1", "--scale", "smoke", "--quiet", *short, env=env)
    assert first.returncode == 0, first.stderr
    assert "0 already in" in first.stdout
    second = _cli("run", "e1", "--scale", "smoke", "--quiet", *short, env=env)
    total = len(experiments.get("e1", "smoke", epochs=300).units())
    assert f"{total} units, {total} already in" in second.stdout
    # the CS units are shared with the paper-protocol spec, the DNN units are not
    n_cs = sum(u.method.kind == "cs" for u in experiments.get("e1", "smoke").units())
    status = _cli("status", "e1", "--scale", "smoke", env=env)
    assert f"{n_cs}/{total} units done" in status.stdout


def test_cli_rejects_unknown_set_key(tmp_path):
    out = _cli("run", "e1", "--scale", "smoke", "--set", "trails=3", env={"DNNGAP_RESULTS": str(tmp_path)})
    assert out.returncode != 0 and "unknown override(s) ['trails']" in out.stderr


def _kinked_fit(method, y, fy, **kw):
    """A 'network' whose error has a kink: f + 1e-3 max(0, y_1 + y_2 - 0.3)."""
    from dnngap import functions
    f = functions.get("exp_cos")
    T = y.shape[0]
    info = {"train_loss": [0.0] * T, "steps": [1] * T, "stop_reason": ["epochs"] * T, "device": "cpu"}
    return (lambda p: np.tile(f(p) + 1e-3 * np.maximum(0, p[:, 0] + p[:, 1] - 0.3), (T, 1))), info


def test_primary_estimator_is_judged_on_the_units_own_error(monkeypatch, tmp_path):
    # exp_cos is smooth, so its d = 8 level-3 grid integrates f^2 well; the
    # residual has a kink across a hyperplane, which the grid misjudges
    monkeypatch.setattr(DNNMethod, "fit", _kinked_fit)
    spec = ExperimentSpec(name="est", title="est", scale="smoke", problems=(Problem("exp_cos", 8, (20,)),),
                          methods=(DNNMethod(depth=1, width=5),), trials=2,
                          test=TestSpec(grid_levels=((8, 3),), mc_points=20_000))
    res = experiments.run(spec, Store(tmp_path), progress=False)
    recs = res.records
    assert experiments.estimator_notes(res)[("exp_cos", 8)].startswith("monte carlo for 1 of 1 (method, m) pairs (Monte Carlo")
    assert all(r["estimator"] == "monte_carlo" and "misjudges" in r["estimator_reason"] for r in recs)
    assert all(abs(r["rel_l2_grid"] - r["rel_l2_mc"]) > 4 * r["rel_l2_mc_stderr"] for r in recs)
    assert all(r["rel_l2"] == r["rel_l2_mc"] for r in recs)


def test_grid_stays_primary_where_it_agrees_on_the_error(monkeypatch, tmp_path):
    smooth = lambda method, y, fy, **kw: (
        (lambda p: np.tile((1 + 1e-3 * np.cos(p[:, 0])) * fy.mean(), (y.shape[0], 1))),
        {"train_loss": [0.0] * y.shape[0], "steps": [1] * y.shape[0], "stop_reason": ["epochs"] * y.shape[0],
         "device": "cpu"})
    monkeypatch.setattr(DNNMethod, "fit", smooth)
    spec = ExperimentSpec(name="est", title="est", scale="smoke", problems=(Problem("exp_cos", 2, (20,)),),
                          methods=(DNNMethod(depth=1, width=5),), trials=2,
                          test=TestSpec(grid_levels=((2, 8),), mc_points=20_000))
    recs = experiments.run(spec, Store(tmp_path), progress=False).records
    assert all(r["estimator"] == "sparse_grid" and r["rel_l2"] == r["rel_l2_grid"] for r in recs)
