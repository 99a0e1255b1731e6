"""Tests of dnngap.tuning: the cross-validated choice of λ, and its use by the runner."""

from __future__ import annotations

import numpy as np
import pytest

from dnngap import cs, experiments, functions, polynomials, tuning
from dnngap.experiments import CSMethod, ExperimentSpec, Problem, Store, TestSpec


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every test here on one core (tests/conftest.py)."""


def _smooth_data(rng, T=3, m=60, d=2):
    """exp_cos in d = 2 on a hyperbolic cross of 57 terms (m < N)."""
    Lambda = polynomials.hyperbolic_cross(d, 16)
    y = rng.uniform(-1, 1, (T, m, d))
    return y, functions.get("exp_cos")(y.reshape(-1, d)).reshape(T, m), Lambda


def test_sweep_default_lambda_is_near_best_and_large_lambda_is_worse():
    """exp_cos in d = 4, m = 120 < N = 1065: over-regularising costs orders of
    magnitude, cs.DEFAULT_LAMBDA sits on the plateau, and cross-validation
    picks a λ whose test error is on that plateau too."""
    Lambda = polynomials.hyperbolic_cross(4, 20)
    lams = np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    sweep = tuning.lambda_sweep("exp_cos", 4, 120, Lambda, lams, 2,
                                np.random.default_rng(11), n_test=4000)
    assert sweep.rel_errors.shape == (2, 6)
    geo = np.exp(np.log(sweep.rel_errors).mean(axis=0))
    assert geo[-1] > 100 * geo.min()
    assert geo[list(lams).index(cs.DEFAULT_LAMBDA)] <= 3 * geo.min()
    assert np.all(sweep.cv_rel_errors <= 3 * geo.min())


def test_folds_are_contiguous_and_cover_the_samples():
    slices = tuning.fold_slices(11, 4)
    assert [s.stop - s.start for s in slices] == [3, 3, 3, 2]
    assert np.array_equal(np.concatenate([np.arange(11)[s] for s in slices]), np.arange(11))


def test_noise_moves_the_choice_up():
    rng = np.random.default_rng(1)
    y, fv, Lambda = _smooth_data(rng)
    clean = tuning.cross_validate_lambda(y, fv, Lambda)
    noisy = tuning.cross_validate_lambda(y, fv + 1e-2 * rng.standard_normal(fv.shape), Lambda)
    assert np.all(noisy.lam >= clean.lam), (clean.lam, noisy.lam)
    assert np.mean(np.log10(noisy.lam)) > np.mean(np.log10(clean.lam)), (clean.lam, noisy.lam)


def test_sparse_polynomial_is_recovered():
    rng = np.random.default_rng(2)
    d, m = 4, 60
    Lambda = polynomials.hyperbolic_cross(d, 12)  # N > m
    y = rng.uniform(-1, 1, (2, m, d))
    terms = {0: 1.0, 3: 0.5, 10: -0.25}
    coef = np.zeros(len(Lambda))
    coef[list(terms)] = list(terms.values())
    fv = polynomials.features(y.reshape(-1, d), Lambda) @ coef
    fv = fv.reshape(2, m)
    cv = tuning.cross_validate_lambda(y, fv, Lambda)
    z, _ = tuning.fit_cv(y, fv, Lambda, cv)
    assert np.max(np.abs(z - coef)) < 1e-6, (cv.lam, np.max(np.abs(z - coef)))


def test_choice_uses_only_the_trial_itself():
    rng = np.random.default_rng(3)
    y, fv, Lambda = _smooth_data(rng, T=3)
    fv[0] += 1e-2 * rng.standard_normal(fv.shape[1])  # a different trial in the batch
    batch = tuning.cross_validate_lambda(y, fv, Lambda)
    for t in range(3):
        alone = tuning.cross_validate_lambda(y[t], fv[t], Lambda)
        assert alone.lam[0] == batch.lam[t]
        np.testing.assert_allclose(alone.validation_rms[0], batch.validation_rms[t], rtol=1e-4)


def test_permuting_within_folds_keeps_the_choice():
    rng = np.random.default_rng(4)
    y, fv, Lambda = _smooth_data(rng, T=2)
    perm = np.concatenate([rng.permutation(np.arange(s.start, s.stop))
                           for s in tuning.fold_slices(y.shape[1], tuning.DEFAULT_FOLDS)])
    a = tuning.cross_validate_lambda(y, fv, Lambda)
    b = tuning.cross_validate_lambda(y[:, perm], fv[:, perm], Lambda)
    assert np.array_equal(a.lam, b.lam)
    np.testing.assert_allclose(a.validation_rms, b.validation_rms, rtol=1e-4)


def test_shortcut_reuses_interpolants_exactly():
    # every fold-fit below the first interpolating λ is the same solution
    rng = np.random.default_rng(5)
    y, fv, Lambda = _smooth_data(rng, T=1)
    cv = tuning.cross_validate_lambda(y, fv, Lambda, grid=[1e-6, 1e-4])
    assert cv.solves == tuning.DEFAULT_FOLDS  # λ = 1e-4 interpolates: 1e-6 reuses it
    direct = []
    for s in tuning.fold_slices(y.shape[1], tuning.DEFAULT_FOLDS):
        keep = np.r_[0:s.start, s.stop:y.shape[1]]
        z = cs.fit(y[0, keep], fv[0, keep], Lambda, lam=1e-6).z
        direct.append(np.sqrt(np.mean((cs.evaluate(z, y[0, s], Lambda) - fv[0, s]) ** 2)))
    np.testing.assert_allclose(cv.validation_rms[0, 0], np.mean(direct), rtol=1e-4)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"grid": []}, ValueError, "grid must be a non-empty"),
    ({"grid": [1e-3, 1e-4]}, ValueError, "strictly increasing"),
    ({"grid": [0.0, 1e-4]}, ValueError, "positive finite"),
    ({"grid": [1e-4, np.inf]}, ValueError, "positive finite"),
    ({"folds": 1}, ValueError, "folds must be >= 2"),
    ({"folds": 2.5}, TypeError, "folds must be an integer"),
    ({"folds": 61}, ValueError, "folds must be <= the number of samples m = 60"),
])
def test_bad_grid_and_folds_are_rejected(kwargs, error, message):
    y, fv, Lambda = _smooth_data(np.random.default_rng(0), T=1)
    with pytest.raises(error, match=message):
        tuning.cross_validate_lambda(y, fv, Lambda, **kwargs)


# -- the experiment layer -------------------------------------------------
@pytest.mark.parametrize("lam, error", [(-1.0, ValueError), (0, ValueError), (float("nan"), ValueError),
                                        ("CV", TypeError), (True, TypeError)])
def test_cs_method_rejects_bad_lam(lam, error):
    # the library's rule (dnngap._validation): TypeError for a wrong type,
    # ValueError for a value out of range; the message names the alternatives
    with pytest.raises(error, match=r"cs.lam must be a positive (real )?number.*\(or 'cv' or None\)"):
        CSMethod(lam=lam)


def test_cv_label_is_distinct():
    assert CSMethod(lam="cv").label == "CS (HC, N ≤ 2000, λ by CV)"
    assert CSMethod(lam="cv").label != CSMethod().label


def test_runner_records_the_lambda_of_every_trial(tmp_path):
    spec = ExperimentSpec(name="cv", title="cv", scale="smoke", problems=(Problem("exp_cos", 2, (40,)),),
                          methods=(CSMethod(n_max=60), CSMethod(n_max=60, lam="cv")), trials=2,
                          test=TestSpec(estimator="monte_carlo", mc_points=500))
    recs = experiments.run(spec, Store(tmp_path), progress=False).records
    fixed = [r for r in recs if "CV" not in r["method"]]
    chosen = [r for r in recs if "CV" in r["method"]]
    assert [r["lam"] for r in fixed] == [cs.DEFAULT_LAMBDA] * 2
    assert len(chosen) == 2 and all(r["lam"] in tuning.LAMBDA_GRID for r in chosen)
    assert all(r["stop_reason"] == "converged" for r in recs)


def test_store_key_includes_the_tuning_version_only_for_cross_validated_lambda(monkeypatch):
    from dnngap import experiments, tuning
    from dnngap.experiments import CSMethod
    spec = experiments.get("e1", "smoke")
    fixed = spec.units()[0]
    cv = experiments.Unit(spec, fixed.problem, CSMethod(n_max=60, lam="cv"), fixed.m)
    assert "tuning" not in fixed.config()["numerics"] and cv.config()["numerics"]["tuning"] == tuning.NUMERICS_VERSION
    before = (fixed.key, cv.key)
    monkeypatch.setattr(tuning, "NUMERICS_VERSION", tuning.NUMERICS_VERSION + 1)
    assert fixed.key == before[0] and cv.key != before[1]
