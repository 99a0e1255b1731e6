"""`verify --committed` (`make verify`, run by CI): the units committed to git
are sampled, one per method kind, by a seed from the commit, and recomputed;
a tampered committed unit fails it."""

from __future__ import annotations

import importlib
import json
import subprocess

import pytest

from dnngap import experiments
from dnngap.__main__ import main
from dnngap.experiments import (CSMethod, DNNMethod, ExistenceMethod, ExperimentSpec, Problem, RecipeMethod, Store,
                                TestSpec)
from dnngap.experiments import specs, store as store_module

verify_module = importlib.import_module("dnngap.experiments.verify")
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]


def git(repo, *args):
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def commit_all(repo, message="results"):
    git(repo, "add", "-f", "results")
    git(repo, "commit", "-q", "-m", message)


def tiny(m_values=(20,), methods=None, trials=2):
    methods = methods or (CSMethod(n_max=15), DNNMethod(depth=1, width=5, epochs=150))
    return ExperimentSpec(name="tiny", title="tiny", scale="smoke", problems=(Problem("exp_cos", 2, tuple(m_values)),),
                          methods=methods, trials=trials, test=TestSpec(estimator="monte_carlo", mc_points=500))


def tamper(store, key, factor, field="rel_l2", trial=0):
    """Scale a stored number and recompute the checksum: a file that reads as valid."""
    path = store.path(key)
    payload = json.loads(path.read_text())
    payload["records"][trial][field] *= factor
    payload["checksum"] = store_module._checksum(payload["records"])
    path.write_text(json.dumps(payload))


@pytest.fixture
def repo(tmp_path):
    """A git checkout whose results/ holds one committed CS unit and one DNN unit."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    store = Store(root / "results")
    spec = tiny()
    experiments.run(spec, store, progress=False)
    commit_all(root)
    return root, store, spec


def test_committed_units_are_recomputed_one_per_kind(repo):
    root, store, spec = repo
    lines = []
    report = experiments.verify_committed(store, log=lines.append)
    assert report.passed, str(report)
    assert sorted(report.checked) == sorted(verify_module._describe(u) for u in spec.units())
    assert sorted(d.split(",")[0] for d in report.details.values()) == ["cs", "dnn"]
    text = str(report)
    assert "kinds committed: cs, dnn" in text and "from commit" in text and text.count(": ok (") == 2
    assert any(line.startswith("  recomputing:") for line in lines)


@pytest.mark.parametrize("kind", ["cs", "dnn"])
def test_a_tampered_committed_unit_fails(repo, kind):
    """Errors scaled by 0.7, checksum recomputed, committed: verify catches it
    (a DNN: the geometric mean over 2 trials moves by 1 - sqrt(0.7) = 16% > 10%)."""
    root, store, spec = repo
    unit = next(u for u in spec.units() if u.method.kind == kind)
    tamper(store, unit.key, 0.7)
    commit_all(root, "tampered")
    report = experiments.verify_committed(store)
    assert not report.passed
    assert {(m.key, m.field) for m in report.mismatches} == {(unit.key, "rel_l2")}
    assert f"[{unit.key}]: FAILED" in str(report)


def test_nothing_committed_passes_and_says_so(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    report = experiments.verify_committed(Store(root / "results"))
    assert report.passed and "nothing to verify: no committed results" in str(report)
    # computed but not committed: still nothing committed
    experiments.run(tiny(), Store(root / "results"), progress=False)
    report = experiments.verify_committed(Store(root / "results"))
    assert report.passed and not report.checked and report.stored == 0
    outside = experiments.verify_committed(Store(tmp_path / "elsewhere"))
    assert outside.passed and not outside.checked


def test_damaged_committed_file_fails_and_stale_one_is_skipped(repo):
    root, store, spec = repo
    cs_unit, dnn_unit = (next(u for u in spec.units() if u.method.kind == k) for k in ("cs", "dnn"))
    store.path(cs_unit.key).write_text("{ truncated")
    # the DNN unit as an older numerics version would have stored it (another key)
    path = store.path(dnn_unit.key)
    payload = json.loads(path.read_text())
    payload["config"]["numerics"]["dnn"] = -1
    old_key = specs._hash(payload["config"])
    store.write(old_key, payload["config"], payload["records"])
    path.unlink()
    commit_all(root, "damaged")
    sample = verify_module.sample_committed(store)
    assert sample.damaged and sample.damaged[0][0] == cs_unit.key
    assert len(sample.stale) == 1 and old_key in sample.stale[0] and not sample.chosen
    report = experiments.verify_committed(store)
    assert not report.passed and report.mismatches[0].key == cs_unit.key
    assert "unreadable or wrong checksum" in str(report) and "1 committed units are stale" in str(report)


def test_sample_covers_every_kind_within_budget_and_rotates(tmp_path):
    """40 committed units of four kinds with stored times 1, 2, ..., 10 s per trial
    (2 trials): every draw checks one unit of each kind, each within its share of
    the budget (60 s / 4 kinds = 15 s: times 2, 4, ..., 14 s), and the draws vary."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    store = Store(root / "results")
    methods = (CSMethod(n_max=15), DNNMethod(depth=1, width=5, epochs=150), ExistenceMethod(n_max=15),
               RecipeMethod(recipe="paper", depth=1, width=5, budget=0.01))
    spec = tiny(m_values=tuple(range(10, 101, 10)), methods=methods)
    for u in spec.units():
        seconds = u.m / 10  # per trial
        records = [{"trial": t, "wall_time": seconds, "device": "cpu (1 threads)", "method_kind": u.method.kind,
                    "rel_l2": 0.1} for t in range(2)]
        store.write(u.key, u.config(), records)
    commit_all(root)
    picks = {}
    for seed in range(12):
        sample = verify_module.sample_committed(store, budget=60, seed=seed)
        assert sample.kinds == ["cs", "dnn", "existence", "recipe"]
        assert sorted(c.kind for c in sample.chosen) == sample.kinds
        assert all(c.seconds <= 15 for c in sample.chosen) and not sample.notes
        for c in sample.chosen:
            picks.setdefault(c.kind, set()).add(c.unit.m)
    assert all(len(ms) > 1 and max(ms) <= 70 for ms in picks.values()), picks
    # no unit fits a share: the cheapest of each kind, said so
    tight = verify_module.sample_committed(store, budget=4, seed=0)
    assert [c.unit.m for c in tight.chosen] == [10] * 4 and len(tight.notes) == 4
    # even the cheapest (2 s) beyond twice the budget: no unit is checked, and the note says how to
    hopeless = verify_module.sample_committed(store, budget=0.5, seed=0)
    assert hopeless.chosen == [] and len(hopeless.notes) == 4
    assert all("is estimated at 2 s, beyond 1 s" in n and "--budget 8" in n for n in hopeless.notes), hopeless.notes
    # the default seed is the commit's: a new commit draws anew
    first = verify_module.sample_committed(store).seed
    git(root, "commit", "-q", "--allow-empty", "-m", "another")
    assert verify_module.sample_committed(store).seed != first
    with pytest.raises(ValueError, match="budget must be a number of seconds > 0"):
        verify_module.sample_committed(store, budget=-1)


@pytest.mark.parametrize("spec", [experiments.get(n, s) for n, s in
                                  [("e1", "smoke"), ("e1", "paper"), ("e3", "smoke"), ("e5", "smoke"),
                                   ("e7", "smoke"), ("e8", "smoke"), ("e4", "ci")]], ids=lambda s: f"{s.name}-{s.scale}")
def test_a_stored_configuration_gives_back_its_unit(spec):
    units = spec.units()[:: max(1, len(spec.units()) // 40)]
    for u in units:
        assert verify_module.unit_from_config(u.config()).key == u.key


def test_cli_verify_committed(repo, monkeypatch, capsys):
    root, store, spec = repo
    monkeypatch.setenv("DNNGAP_RESULTS", str(store.root))
    assert main(["verify", "--committed", "--budget", "60"]) == 0
    out = capsys.readouterr().out
    assert "verify: passed in" in out and "checked:" in out
    tamper(store, spec.units()[0].key, 0.7)
    assert main(["verify", "--committed"]) == 1
    assert "verify: FAILED" in capsys.readouterr().out
    for bad in (["verify", "--committed", "e1"], ["verify"], ["verify", "e1", "--budget", "5"]):
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert exc.value.code == 2
    capsys.readouterr()
