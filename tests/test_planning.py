"""`plan`: missing units and their cost, estimated from the times in the store
(checked against hand computation on small synthetic stores), and
`run_largest_first`, which computes the largest units that fit a budget."""

from __future__ import annotations

import math

import pytest

from dnngap import experiments
from dnngap.__main__ import main
from dnngap.experiments import (CSMethod, DNNMethod, ExperimentSpec, Problem, Store, TestSpec, execution,
                                planning)

# P = (d + 1) N + (H - 1)(N + 1) N + N + 1 with H = depth + 1 hidden layers (code convention)
P_D2 = {(1, 5): 15 + 30 + 6,                      # 51
        (1, 10): 30 + 110 + 11,                   # 151
        (2, 20): 60 + 2 * 21 * 20 + 21,           # 921
        (4, 40): 120 + 4 * 41 * 40 + 41}          # 6721


def spec_of(methods, m_values=(100, 200, 400), d=2, trials=4, name="p"):
    return ExperimentSpec(name=name, title=name, scale="smoke", problems=(Problem("exp_cos", d, m_values),),
                          methods=tuple(methods), trials=trials,
                          test=TestSpec(estimator="monte_carlo", mc_points=500))


def store_unit(store, unit, seconds_per_trial, device="cpu (1 threads)"):
    """A stored unit with the given wall time per trial (numbers irrelevant here)."""
    records = [{"trial": t, "wall_time": seconds_per_trial, "device": device, "method_kind": unit.method.kind,
                "rel_l2": 0.1} for t in range(unit.spec.trials)]
    store.write(unit.key, unit.config(), records)


def unit_of(spec, depth_width=None, m=None, kind="dnn"):
    return next(u for u in spec.units() if u.method.kind == kind and u.m == m
                and (depth_width is None or (u.method.depth, u.method.width) == depth_width))


def test_sizes_are_the_parameter_count_and_the_index_set_size():
    for (L, N), P in P_D2.items():
        assert planning.size(DNNMethod(depth=L, width=N), 2) == P
    assert P_D2[(1, 5)] == 51
    assert planning.size(CSMethod(n_max=2000), 8) == 1843  # the paper's hyperbolic cross in d = 8
    with pytest.raises(TypeError, match="method must be"):
        planning.size("cs", 2)


def test_fitted_power_law_matches_hand_computation(tmp_path):
    """Stored times follow t = 2e-6 · P · m^0.5 exactly: the fit recovers it, and
    a missing unit costs t(P, m) × trials."""
    store = Store(tmp_path)
    archs = [(1, 10), (2, 20), (4, 40)]
    spec = spec_of([DNNMethod(depth=L, width=N) for L, N in archs])
    law = lambda P, m: 2e-6 * P * math.sqrt(m)
    for m in (100, 200, 400):
        store_unit(store, unit_of(spec, (1, 10), m), law(P_D2[(1, 10)], m))
    store_unit(store, unit_of(spec, (4, 40), 100), law(P_D2[(4, 40)], 100))
    p = experiments.plan(spec, store)
    assert p.total == 9 and len(p.missing) == 5
    (model,) = p.models.values()
    assert model.size_exponent == pytest.approx(1.0, abs=1e-9) and model.m_exponent == pytest.approx(0.5, abs=1e-9)
    assert model.units == 4 and model.fitted == ("P/N", "m")
    rows = {r.method: r for r in p.rows()}
    by_hand_2x20 = sum(2e-6 * 921 * math.sqrt(m) * 4 for m in (100, 200, 400)) / 3600
    by_hand_4x40 = sum(2e-6 * 6721 * math.sqrt(m) * 4 for m in (200, 400)) / 3600
    assert rows[spec.methods[1].label].core_hours == pytest.approx(by_hand_2x20, rel=1e-9)
    assert rows[spec.methods[2].label].core_hours == pytest.approx(by_hand_4x40, rel=1e-9)
    assert rows[spec.methods[1].label].units == 3 and spec.methods[0].label not in rows  # 1×10: all stored
    assert p.core_hours() == (pytest.approx(by_hand_2x20 + by_hand_4x40, rel=1e-9), 0)
    # largest first: 4×40 at m = 400 costs most
    first = p.largest_first()[0]
    assert (first.unit.method.width, first.unit.m) == (40, 400)
    assert first.on("cpu") == pytest.approx(2e-6 * 6721 * 20 * 4, rel=1e-9)


def test_one_measurement_scales_linearly_and_counts_threads(tmp_path):
    """One stored unit (3 s per trial on 2 threads = 6 core-seconds): cost ∝ P · m."""
    store = Store(tmp_path)
    spec = spec_of([DNNMethod(depth=1, width=10), DNNMethod(depth=4, width=40)])
    store_unit(store, unit_of(spec, (1, 10), 100), 3.0, device="cpu (2 threads)")
    p = experiments.plan(spec, store)
    (model,) = p.models.values()
    assert model.fitted == () and "scaled linearly from 1 unit" in str(model)
    est = {(e.unit.method.width, e.unit.m): e.on("cpu") for e in p.missing}
    assert est[(10, 200)] == pytest.approx(6.0 * 2 * 4)
    assert est[(40, 400)] == pytest.approx(6.0 * (6721 / 151) * 4 * 4)
    assert p.rows()[0].core_hours == pytest.approx(6.0 * (2 + 4) * 4 / 3600)


def test_no_measurement_is_said_not_guessed(tmp_path):
    store = Store(tmp_path)
    spec = spec_of([CSMethod(n_max=15), DNNMethod(depth=1, width=10)])
    empty = experiments.plan(spec, store)
    assert all(r.core_hours is None for r in empty.rows()) and empty.core_hours() == (0.0, 6)
    text = str(empty)
    assert "total" in text and text.count("no measurement") == 4  # 2 methods, the total, the GPU line
    store_unit(store, unit_of(spec, (1, 10), 100), 1.0)
    p = experiments.plan(spec, store)
    rows = {r.kind: r for r in p.rows()}
    assert rows["cs"].core_hours is None and rows["dnn"].core_hours == pytest.approx(1.0 * 6 * 4 / 3600)
    assert p.core_hours() == (pytest.approx(24 / 3600), 3)
    assert "* leaves out the units with no measurement" in str(p)

    # a stored unit of another cost class (a shortened training) is no measurement of this one
    other = Store(tmp_path / "other")
    store_unit(other, spec_of([DNNMethod(depth=1, width=10, epochs=150)]).units()[0], 0.01)
    assert experiments.plan(spec_of([DNNMethod(depth=2, width=20)]), other).rows()[0].core_hours is None
    short = experiments.plan(spec_of([DNNMethod(depth=2, width=20, epochs=150)]), other)
    assert short.rows()[0].core_hours == pytest.approx(0.01 * (921 / 151) * (1 + 2 + 4) * 4 / 3600)


def test_gpu_hours_where_a_gpu_was_measured(tmp_path):
    store = Store(tmp_path)
    spec = spec_of([CSMethod(n_max=15), DNNMethod(depth=1, width=10)])
    store_unit(store, unit_of(spec, (1, 10), 100), 2.0)
    store_unit(store, unit_of(spec, (1, 10), 200), 0.5, device="cuda:0 (Test GPU 80GB)")
    store_unit(store, unit_of(spec, None, 100, kind="cs"), 4.0, device="cpu")
    p = experiments.plan(spec, store)
    assert p.gpus == ["Test GPU 80GB"]
    dnn = next(r for r in p.rows() if r.kind == "dnn")
    assert dnn.gpu_hours == {"Test GPU 80GB": pytest.approx(0.5 * 2 * 4 / 3600)}  # m = 400 from m = 200
    text = p.table()
    assert "GPU-hours (Test GPU 80GB)" in text and "CPU only" in text  # CS runs on the CPU
    cs = next(e for e in p.missing if e.kind == "cs")
    assert cs.on("Test GPU 80GB") == cs.on("cpu") == pytest.approx(4.0 * 2 * 4)


def test_extrapolation_is_marked(tmp_path):
    store = Store(tmp_path)
    spec = spec_of([DNNMethod(depth=1, width=10), DNNMethod(depth=4, width=40)])
    for m in (100, 200):
        store_unit(store, unit_of(spec, (1, 10), m), 1e-3 * m)
    rows = {r.method: r for r in experiments.plan(spec, store).rows()}
    assert rows[spec.methods[0].label].extrapolated == frozenset({"cpu"})  # m = 400 > 200
    assert "† extrapolated" in str(experiments.plan(spec, store))


def test_damaged_and_foreign_files_do_not_stop_a_plan(tmp_path):
    store = Store(tmp_path)
    spec = spec_of([DNNMethod(depth=1, width=10)])
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "abcdef0123456789.json").write_text("{not json")
    store.write("cd" + "0" * 14, {"method": {"kind": "nonsense"}}, [{"trial": 0, "wall_time": 1.0}])
    p = experiments.plan(spec, store)
    assert len(p.missing) == 3 and p.models == {}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="kinds must be a non-empty list of 'cs', 'dnn'"):
        experiments.plan(spec_of([CSMethod(n_max=15)]), Store("/nonexistent"), kinds=["gpu"])
    with pytest.raises(ValueError, match="budget must be a number of seconds > 0; got 0"):
        experiments.run_largest_first(spec_of([CSMethod(n_max=15)]), Store("/nonexistent"), budget=0)
    with pytest.raises(ValueError, match="measurements must hold at least one"):
        planning.fit([])


# -- run_largest_first ----------------------------------------------------------
C = 1e-3  # seconds per trial per parameter per sample, in the synthetic store


@pytest.fixture
def fake_compute(monkeypatch):
    """Computing a unit takes, on a fake clock, exactly what the law C · P · m says,
    and stores that time: the plan's estimates stay exact after each unit."""
    clock = {"now": 0.0, "computed": []}

    def compute(unit, data=None):
        per_trial = C * planning.size(unit.method, unit.problem.d) * unit.m
        clock["now"] += per_trial * unit.spec.trials
        clock["computed"].append((unit.method.width, unit.m))
        return [{"trial": t, "wall_time": per_trial, "device": "cpu (1 threads)",
                 "method_kind": unit.method.kind} for t in range(unit.spec.trials)]

    monkeypatch.setattr(execution, "compute_local", compute)
    return clock


def test_largest_first_within_the_budget(tmp_path, fake_compute):
    """Estimates (trials = 2): 1×10 (P = 151): 3.02, 6.04, 12.08 s at m = 10, 20, 40;
    1×5 (P = 51): 1.02, 2.04, 4.08 s. Budget 15 s: 12.08 fits, leaving 2.92; then the
    largest that fits is 2.04 (1×5, m = 20), leaving 0.88: nothing else fits."""
    store = Store(tmp_path)
    spec = spec_of([CSMethod(n_max=15), DNNMethod(depth=1, width=5), DNNMethod(depth=1, width=10)],
                   m_values=(10, 20, 40), trials=2)
    other = spec_of([DNNMethod(depth=1, width=5), DNNMethod(depth=1, width=10)], m_values=(10, 40), d=1,
                    trials=2, name="other")  # the measurements: another problem
    for u in other.units():
        store_unit(store, u, C * planning.size(u.method, 1) * u.m)
    lines = []
    done = experiments.run_largest_first(spec, store, budget=15.0, kinds=["dnn"], device="cpu",
                                         clock=lambda: fake_compute["now"], log=lines.append)
    assert fake_compute["computed"] == [(10, 40), (5, 20)]
    assert [round(e.on("cpu"), 6) for e in done] == [12.08, 2.04]
    assert fake_compute["now"] == pytest.approx(14.12)
    assert len(lines) == 3 and lines[-1] == "2 units computed; 4 still missing"
    left = {(u.method.kind, getattr(u.method, "width", None), u.m) for u in experiments.load(spec, store).missing}
    assert ("cs", None, 10) in left and ("dnn", 10, 40) not in left and ("dnn", 5, 20) not in left


def test_largest_first_stops_at_the_deadline_and_takes_unmeasured_units(tmp_path, fake_compute):
    """With no measurement at all a unit is taken in its turn (it is what gives the
    next ones an estimate); a clock past the deadline stops the run."""
    store = Store(tmp_path)
    spec = spec_of([DNNMethod(depth=1, width=5), DNNMethod(depth=1, width=10)], m_values=(10, 20), trials=2)
    ticks = iter([0.0, 1.0, 100.0, 100.0])
    done = experiments.run_largest_first(spec, store, budget=50.0, device="cpu", clock=lambda: next(ticks),
                                         log=None)
    assert fake_compute["computed"] == [(10, 20)]  # the largest flop count first
    assert done[0].on("cpu") is None


# -- the command line -----------------------------------------------------------
def test_cli_plan(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DNNGAP_RESULTS", str(tmp_path))
    assert main(["plan", "e1", "--scale", "smoke", "--units"]) == 0
    out = capsys.readouterr().out
    assert "e1 at scale smoke:" in out and " 0 stored" in out and "no measurement" in out
    assert "missing units, largest first" in out and "exp_cos, d = " in out
    with pytest.raises(SystemExit) as exc:
        main(["plan", "e1", "--kinds", "gpu"])
    assert exc.value.code == 2 and "kinds must be" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "e1", "--budget", "10", "--workers", "2"])
    assert "not allowed with --workers" in capsys.readouterr().err
