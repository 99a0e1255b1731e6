"""Results.paired_factors: per-trial ratios to a reference, bootstrap intervals."""

import numpy as np
import pytest

from dnngap.experiments import CSMethod, DNNMethod, ExperimentSpec, Problem
from dnngap.experiments.records import Results


def _results(cs_errors, net_errors):
    spec = ExperimentSpec("demo", "demo", "smoke", (Problem("exp_cos", 1, (20,)),),
                          (CSMethod(), DNNMethod(1, 10)), trials=len(cs_errors))
    recs = [dict(function="exp_cos", d=1, m=20, trial=t, method=mt.label, rel_l2=float(e))
            for mt, errors in zip(spec.methods, (cs_errors, net_errors)) for t, e in enumerate(errors)]
    return Results(spec, recs)


def test_factor_is_the_geometric_mean_of_paired_ratios_and_its_interval_covers_it():
    rng = np.random.default_rng(3)
    cs = 10.0 ** rng.uniform(-7, -5, 20)            # CS errors spread over two decades
    ratio = 10.0 ** rng.normal(2.0, 0.3, 20)        # the network is ~100x worse, trial by trial
    frame = _results(cs, cs * ratio).paired_factors("CS (HC, N ≤ 2000)", function="exp_cos", d=1, m=20)
    net = frame.iloc[1]
    assert net["factor"] == pytest.approx(np.exp(np.log(ratio).mean()))
    assert net["low"] < net["factor"] < net["high"]
    # pairing removes the spread the two methods share: the interval is far narrower than the
    # ratio of the methods' own spreads would allow (two decades)
    assert net["high"] / net["low"] < 2
    # seeded: the same call gives the same interval
    again = _results(cs, cs * ratio).paired_factors("CS (HC, N ≤ 2000)", function="exp_cos", d=1, m=20)
    assert again.equals(frame)


def test_unknown_reference_names_the_methods():
    with pytest.raises(ValueError, match="reference must be one of"):
        _results([1e-6, 2e-6], [1e-3, 2e-3]).paired_factors("CS", function="exp_cos", d=1, m=20)
