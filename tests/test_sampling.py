"""Tests of dnngap.sampling: seeded uniform samples and MATLAB-compatible samples."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import numpy as np
import pytest

from dnngap import functions, sampling
from dnngap.sampling import matlab_samples, released_samples, uniform

DATA = Path(__file__).parent / "data" / "mlfa"
TRAIN = sorted(DATA.glob("train_*.npz"))
# The authors' listing of their training sets, and points of every set
# (ndexter/MLFA, MIT licence, (c) 2020 Nick Dexter; see data/mlfa/README.md)
RELEASED = {(s["function"], s["d"]): tuple(s["m"])
            for s in json.loads((DATA / "released_training_sets.json").read_text())}
POINTS = json.loads((DATA / "released_training_points.json").read_text())["points"]


def test_training_fixtures_present():
    # guards against the parametrised test below silently running on nothing
    assert len(TRAIN) >= 22


@pytest.mark.parametrize("path", TRAIN, ids=lambda p: p.stem)
def test_matlab_samples_reproduce_released_points(path):
    name, d, m = re.fullmatch(r"train_(.+)_d(\d+)_m(\d+)\.npz", path.name).groups()
    with np.load(path) as data:
        released = data["X"]  # trial 0 of the authors' 20
    # slower_decay_rational restarted the stream with seed t for trial t = 1..20
    seed = "per_trial" if name == "slower_decay_rational" else None
    points = matlab_samples(int(d), int(m), trials=20, seed=seed)
    assert points.shape == (20, int(m), int(d))
    np.testing.assert_array_equal(points[0], released)  # bit for bit
    np.testing.assert_array_equal(released_samples(name, int(d), int(m), trials=1)[0], released)


# -- the authors' released training sets -------------------------------------
def test_released_fixtures_cover_every_set():
    # 22 sets, and points of each at three sample sizes (smallest, middle, largest)
    assert len(RELEASED) == 22
    sizes = {}
    for q in POINTS:
        sizes.setdefault((q["function"], q["d"]), set()).add(q["m"])
    assert set(sizes) == set(RELEASED)
    for key, ms in sizes.items():
        assert len(ms) == 3 and {RELEASED[key][0], RELEASED[key][-1]} < ms <= set(RELEASED[key])


def test_released_m_is_the_authors_listing():
    assert sampling.RELEASED_M == RELEASED
    assert set(sampling.RELEASED_CONVENTIONS) == set(RELEASED)
    for (function, d), ms in RELEASED.items():
        assert sampling.released_m(function, d) == ms


def _convention_draws(function, d, m):
    """The points of every candidate seeding convention, (20, m, d) each."""
    return {"stream": matlab_samples(d, m, trials=20), "per_trial": matlab_samples(d, m, trials=20, seed="per_trial")}


@pytest.mark.parametrize("function, d", sorted(RELEASED), ids=lambda x: str(x))
def test_released_samples_reproduce_every_released_set(function, d):
    """Each released set is reproduced bit for bit by the convention
    sampling.released_convention names, and by no other: the first and last
    point of trials 0 and 19 at three sample sizes."""
    points = [q for q in POINTS if (q["function"], q["d"]) == (function, d)]
    assert len(points) == 12
    f = functions.get(function)
    convention = sampling.released_convention(function, d)
    for m in sorted({q["m"] for q in points}):
        ours = released_samples(function, d, m)
        assert ours.shape == (20, m, d)
        draws = _convention_draws(function, d, m)
        np.testing.assert_array_equal(ours, draws[convention])
        for q in (q for q in points if q["m"] == m):
            x = np.array(q["x"])
            np.testing.assert_array_equal(ours[q["trial"], q["index"]], x)
            # the other convention does not reproduce the point
            for other, X in draws.items():
                if other != convention:
                    assert not np.array_equal(X[q["trial"], q["index"]], x)
            # and the released value is f at the point
            assert f(x[None, :])[0] == pytest.approx(q["y"], rel=2e-15, abs=1e-300)
        # trial t does not depend on the number of trials drawn
        np.testing.assert_array_equal(released_samples(function, d, m, trials=5), ours[:5])


def test_released_conventions_found_in_the_data():
    # every set is MATLAB's default stream but slower_decay_rational (seed t for trial t)
    per_trial = [key for key, c in sampling.RELEASED_CONVENTIONS.items() if c == "per_trial"]
    assert per_trial == [("slower_decay_rational", 8)]
    assert set(sampling.RELEASED_CONVENTIONS.values()) == {"stream", "per_trial"}


def test_matlab_convention_defaults_to_the_stream_where_nothing_was_released():
    for key, convention in sampling.RELEASED_CONVENTIONS.items():
        assert sampling.matlab_convention(*key) == convention
    assert sampling.matlab_convention("mixed_trig_rational", 8) == "stream"
    assert sampling.matlab_convention("slower_decay_rational", 2) == "stream"
    assert sampling.matlab_convention("exp_cos", 16) == "stream"
    with pytest.raises(TypeError, match="function must be a str"):
        sampling.matlab_convention(None, 2)
    with pytest.raises(ValueError, match="d must be >= 1"):
        sampling.matlab_convention("exp_cos", 0)


@pytest.mark.parametrize(
    "args,error,message",
    [
        (("exp_cos", 16, 75), ValueError, r"\(function, d\) must be a released training set, one of .*"
                                          r"\('exp_cos', 16\)"),
        (("mixed_trig_rational", 8, 75), ValueError, "must be a released training set"),
        (("exp_cos", 8, 100), ValueError, r"m must be a released sample size for \('exp_cos', 8\), "
                                          r"one of 75, 150, \.\.\., 2250 \(30 values\); got 100"),
        (("indicator", 1, 750), ValueError, "one of 63, 125, ..., 2500 .40 values.; got 750"),
        (("exp_cos", 8, 75, 21), ValueError, r"trials must be <= 20 \(the authors released 20\); got 21"),
        (("exp_cos", 8, 75, 0), ValueError, "trials must be >= 1"),
        (("exp_cos", 8.0, 75), TypeError, "d must be an integer"),
        (("exp_cos", 8, 75.0), TypeError, "m must be an integer"),
    ],
)
def test_released_samples_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        released_samples(*args)


def test_released_m_and_convention_reject_unreleased_sets():
    for lookup in (sampling.released_m, sampling.released_convention):
        with pytest.raises(ValueError, match=r"must be a released training set.*got \('exp_cos', 16\)"):
            lookup("exp_cos", 16)
        with pytest.raises(ValueError, match=r"got \('exp_cos5', 16\)"):
            lookup("exp_cos5", 16)


def test_matlab_first_draw():
    # MATLAB, fresh session: rand -> 0.8147236863931789 (the documented first
    # value of the default Mersenne Twister stream, seed 5489).
    assert matlab_samples(1, 1, trials=1)[0, 0, 0] == 2 * 0.8147236863931789 - 1


def test_matlab_trial0_nested_in_m_later_trials_not():
    small, large = matlab_samples(3, 10), matlab_samples(3, 25)
    np.testing.assert_array_equal(large[0, :10], small[0])
    # one stream reshaped (trials, m, d): trial 1 starts at draw m*d
    assert not np.array_equal(large[1, :10], small[1])
    np.testing.assert_array_equal(small[1], large[0, 10:20])


def test_matlab_per_trial_streams():
    points = matlab_samples(2, 7, trials=4, seed="per_trial")
    for t in range(4):
        u = np.random.RandomState(t + 1).random_sample(14).reshape(7, 2)
        np.testing.assert_array_equal(points[t], 2 * u - 1)
    # each trial restarts its stream, so every trial is nested in m
    np.testing.assert_array_equal(matlab_samples(2, 9, trials=4, seed="per_trial")[:, :7], points)


def test_matlab_integer_seed_is_rng_seed():
    np.testing.assert_array_equal(matlab_samples(2, 3, trials=2, seed=5489), matlab_samples(2, 3, trials=2))
    assert not np.array_equal(matlab_samples(2, 3, trials=2, seed=1), matlab_samples(2, 3, trials=2))


def test_uniform_shape_range_and_dtype():
    y = uniform(4, 1000, 3, np.random.default_rng(1))
    assert y.shape == (3, 1000, 4) and y.dtype == np.float64
    assert y.min() >= -1 and y.max() < 1


def test_uniform_moments():
    # Mean 0 and variance 1/3 per coordinate; 4e5 draws, fixed seed.
    # Standard errors: sqrt(1/3 / n) = 9e-4 for the mean, sqrt(4/45 / n) =
    # 4.7e-4 for the variance; 5 standard errors allowed.
    y = uniform(4, 25_000, 4, np.random.default_rng(2)).reshape(-1)
    n = y.size
    assert abs(y.mean()) < 5 * np.sqrt(1 / 3 / n)
    assert abs(y.var() - 1 / 3) < 5 * np.sqrt(4 / 45 / n)


def test_uniform_nested_in_m():
    small = uniform(3, 50, 5, np.random.default_rng(7))
    large = uniform(3, 400, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(large[:, :50], small)


def test_uniform_trials_do_not_depend_on_their_number():
    three = uniform(2, 20, 3, np.random.default_rng(11))
    eight = uniform(2, 20, 8, np.random.default_rng(11))
    np.testing.assert_array_equal(eight[:3], three)


def test_uniform_trials_are_child_streams():
    rng = np.random.default_rng(5)
    y = uniform(2, 6, 3, rng)
    children = np.random.default_rng(5).spawn(3)
    for t, child in enumerate(children):
        np.testing.assert_array_equal(y[t], child.uniform(-1, 1, size=(6, 2)))
    # different trials differ
    assert not np.array_equal(y[0], y[1])


def test_uniform_reproducible_and_seed_dependent():
    np.testing.assert_array_equal(uniform(2, 5, 2, 42), uniform(2, 5, 2, np.random.default_rng(42)))
    assert not np.array_equal(uniform(2, 5, 2, 42), uniform(2, 5, 2, 43))
    # a generator object advances: a second call gives new points
    rng = np.random.default_rng(42)
    assert not np.array_equal(uniform(2, 5, 2, rng), uniform(2, 5, 2, rng))


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"d": 0}, ValueError, "d must be >= 1; got 0"),
        ({"m": 0}, ValueError, "m must be >= 1"),
        ({"trials": 0}, ValueError, "trials must be >= 1"),
        ({"m": 2.0}, TypeError, "m must be an integer"),
        ({"d": True}, TypeError, "d must be an integer"),
        ({"rng": None}, TypeError, "rng must be a numpy.random.Generator or an integer seed"),
        ({"rng": np.random.RandomState(0)}, TypeError, "rng must be"),
        ({"rng": -1}, ValueError, "non-negative"),
    ],
)
def test_uniform_rejects_bad_input(kwargs, error, message):
    args = {"d": 2, "m": 3, "trials": 2, "rng": 0} | kwargs
    with pytest.raises(error, match=message):
        uniform(**args)


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"d": 0}, ValueError, "d must be >= 1"),
        ({"m": -5}, ValueError, "m must be >= 1"),
        ({"trials": 1.5}, TypeError, "trials must be an integer"),
        ({"seed": "per-trial"}, ValueError, "seed must be None, a non-negative integer or 'per_trial'"),
        ({"seed": 2.0}, ValueError, "seed must be None"),
        ({"seed": -1}, ValueError, r"seed must be in \[0, 2\*\*32\)"),
    ],
)
def test_matlab_samples_rejects_bad_input(kwargs, error, message):
    args = {"d": 2, "m": 3, "trials": 2} | kwargs
    with pytest.raises(error, match=message):
        matlab_samples(**args)


def test_docstring_examples():
    assert doctest.testmod(sampling).failed == 0
