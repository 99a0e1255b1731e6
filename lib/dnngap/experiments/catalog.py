"""The paper's experiments E1–E7, and this book's E8, as named specs, each at three scales.

A scale chooses *which* points are computed — functions, dimensions, sample
sizes ``m``, architectures, activations — and how many trials; it never
changes *how* a point is computed. Every DNN point at every scale is trained
by the paper's per-point protocol (:mod:`dnngap.dnn`: the full learning-rate
schedule over 50,000 epochs in single precision, 200,000 in double, the
preset training tolerance, full batch, the authors' initialisation); every
CS point by the same solver to the same certified tolerance.

``smoke``
    a minimal grid for quick books (2 trials, one or two tiny ``m``);
    tests shorten training explicitly with the ``epochs`` knob.
``ci``
    the book on 2 CPU cores within its time budget: 5 trials, a few ``m``
    per problem, a few architectures, test sets of about 10^4 points.
``paper``
    the paper's grids: 20 trials, every architecture (1×10 to 10×100; E1
    and E2 also the 20×200 and 30×300 the authors' script lists) and
    activation, the authors' final test grids, and wherever the authors released a training
    set for a problem, exactly their ``m`` grid (:func:`paper_m`;
    :data:`dnngap.sampling.RELEASED_M`): ``m = 75, 150, ..., 2250`` for
    ``exp_cos`` and ``exp_cos5`` in every ``d`` (``d = 1`` included), for
    ``halfspace`` in ``d = 1, 2, 3`` and ``slower_decay_rational`` in
    ``d = 8``; ``halfspace`` in ``d = 8`` at ``5, 10, ..., 75`` then ``150,
    ..., 2250`` (44 values) and in ``d = 4`` at ``5, ..., 75`` then ``150,
    ..., 5025`` (81 values); ``indicator`` at ``63, 125, 188, ..., 2500`` (40
    values) in ``d = 1``, ``76, 151, ..., 1501`` in ``d = 2`` and ``77, 154,
    ..., 1540`` in ``d = 4``; ``logsin_plus_sin_K1``/``K10`` at ``25, 50,
    ..., 750``; ``f1`` at 40 values from 25 to 1000. Problems without a
    released set (``mixed_trig_rational``; ``slower_decay_rational`` in
    ``d = 2``; ``exp_cos`` in ``d = 16``) use ``75, 150, ..., 2250``.
    The ``ci`` sample sizes are taken from these grids.

Training points are the authors' own at every scale: MATLAB's ``rand``
reproduced bit for bit (:func:`dnngap.sampling.matlab_samples`), seeded per
problem as the authors seeded its released set
(:func:`dnngap.sampling.matlab_convention`: one stream from MATLAB's default
seed, or seed ``t`` for trial ``t`` for ``slower_decay_rational``); trial
``t`` of a smaller scale is trial ``t`` of the paper. Problems the authors
released no set for get MATLAB's default stream.

:func:`get` resolves a name and a scale to an :class:`ExperimentSpec`, then
applies keyword overrides (the knobs of the notebooks' ``parameters`` cells
and of ``python -m dnngap run --set key=value``); see :data:`OVERRIDES`. The
``epochs`` knob is for experiments of one's own: a chapter run with it no
longer shows the paper's protocol, and says so.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from typing import Any

from .. import sampling
from .specs import (PAPER_LEVELS, SCALES, CSMethod, DNNMethod, ExistenceMethod, ExperimentSpec, FinetuneMethod,
                    Problem, RecipeMethod, Sampler, TestSpec, _choice)

#: The most common released grid, m = 75, 150, ..., 2250; the paper-scale grid
#: of problems without a released training set (see :func:`paper_m`).
PAPER_M = tuple(range(75, 2251, 75))
#: The architectures of every experiment's paper scale (width = 10 × depth).
PAPER_ARCHITECTURES = ((1, 10), (2, 20), (3, 30), (4, 40), (5, 50), (10, 100))
#: The two larger networks the authors' script also lists: E1 and E2 include
#: them at paper scale (GPU-sized; they may stay uncomputed).
LARGE_ARCHITECTURES = ((20, 200), (30, 300))
ACTIVATIONS = ("relu", "elu", "tanh")

_SMOKE_TEST = TestSpec(grid_levels=((1, 6), (2, 5), (3, 4), (4, 3), (8, 2), (16, 2)), mc_points=2000)
_CI_TEST = TestSpec()
_PAPER_TEST = TestSpec(grid_levels=PAPER_LEVELS, mc_points=100_000)
_TESTS = {"smoke": _SMOKE_TEST, "ci": _CI_TEST, "paper": _PAPER_TEST}
_TRIALS = {"smoke": 2, "ci": 5, "paper": 20}
_CS_NMAX = {"smoke": 60, "ci": 2000, "paper": 2000}


def _dnn(depth: int, width: int, activation: str = "relu", **kw: Any) -> DNNMethod:
    """A network trained by the paper's protocol (the precision's presets)."""
    return DNNMethod(depth=depth, width=width, activation=activation, **kw)


def _cs(scale: str, **kw: Any) -> CSMethod:
    return CSMethod(n_max=kw.pop("n_max", _CS_NMAX[scale]), **kw)


def _problems(functions: tuple[str, ...], dims: tuple[int, ...], m_values) -> tuple[Problem, ...]:
    """``functions`` × ``dims``; ``m_values`` a tuple or a callable ``(function, d) -> m values``."""
    out = []
    for fn, d in itertools.product(functions, dims):
        ms = m_values(fn, d) if callable(m_values) else m_values
        out.append(Problem(fn, d, tuple(ms)))
    return tuple(out)


def paper_m(function: str, d: int) -> tuple[int, ...]:
    """The paper-scale ``m`` grid of a problem: the authors' released grid
    (:func:`dnngap.sampling.released_m`) where they released a training set
    for ``(function, d)``, :data:`PAPER_M` otherwise.

    >>> paper_m("indicator", 2)[:3], paper_m("mixed_trig_rational", 8)[-1]
    ((76, 151, 226), 2250)
    """
    return sampling.RELEASED_M.get((function, d), PAPER_M)


def _ci_m(targets: tuple[int, ...]) -> Callable[[str, int], tuple[int, ...]]:
    """ci sample sizes from the paper grid: for each target, the nearest
    ``m`` of :func:`paper_m` (the smaller on a tie)."""
    def ms(function: str, d: int) -> tuple[int, ...]:
        grid = paper_m(function, d)
        return tuple(sorted({min(grid, key=lambda m: (abs(m - t), m)) for t in targets}))
    return ms


def _m(scale: str) -> Callable[[str, int], tuple[int, ...]]:
    if scale == "smoke":
        return lambda fn, d: (20, 40)
    if scale == "ci":  # a factor 4 between points: the book's time budget
        return lambda fn, d: _ci_m((50, 200) if d == 1 else (75, 300, 1200))(fn, d)
    return paper_m


#: The authors' training points (MATLAB's rand, bit for bit, each problem seeded
#: as the authors seeded its released set): trial t of a run with T <= 20
#: trials is trial t of the authors' 20, at every scale.
_MATLAB = Sampler(kind="matlab")


def _spec(name: str, title: str, scale: str, problems, methods, **kw: Any) -> ExperimentSpec:
    return ExperimentSpec(name=name, title=title, scale=scale, problems=problems,
                          methods=tuple(methods), trials=kw.pop("trials", _TRIALS[scale]),
                          test=kw.pop("test", _TESTS[scale]), sampler=kw.pop("sampler", _MATLAB), **kw)


def _archs(scale: str, ci: tuple) -> tuple:
    return {"smoke": ((1, 10),), "ci": ci, "paper": PAPER_ARCHITECTURES}[scale]


def _cs_only(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """The same problems for CS alone (no training data was released for
    them: the authors' d = 16 test grids come without DNN results)."""
    return tuple(dataclasses.replace(p, kinds=("cs",)) for p in problems)


def e1(scale: str) -> ExperimentSpec:
    """E1: ``exp_cos`` across dimensions, CS against ReLU networks (at
    ``paper`` scale all three activations and, CS alone, also d = 16).

    >>> spec = e1("ci")
    >>> [p.d for p in spec.problems], [m.label for m in spec.methods]
    ([1, 2, 4, 8], ['CS (HC, N ≤ 2000)', 'ReLU 1×10', 'ReLU 4×40'])
    >>> e1("smoke").trials, [p.m_values for p in e1("smoke").problems]
    (2, [(20, 40), (20, 40)])
    """
    dims = {"smoke": (1, 2), "ci": (1, 2, 4, 8), "paper": (1, 2, 3, 4, 8)}[scale]
    archs = _archs(scale, ((1, 10), (4, 40))) + (LARGE_ARCHITECTURES if scale == "paper" else ())
    # ci: ReLU only (E2 compares activations)
    acts = {"smoke": ("relu",), "ci": ("relu",), "paper": ACTIVATIONS}[scale]
    methods = [_cs(scale)] + [_dnn(L, N, a) for a in acts for L, N in archs]
    problems = _problems(("exp_cos",), dims, _m(scale))
    if scale == "paper":
        problems += _cs_only(_problems(("exp_cos",), (16,), paper_m))
    return _spec("e1", "Smooth function: DNNs vs CS across dimensions", scale, problems, methods)


def e2(scale: str) -> ExperimentSpec:
    """E2: architectures × activations on ``exp_cos`` in one dimension (d = 8; smoke: 2).

    >>> spec = e2("ci")
    >>> [p.label for p in spec.problems], [m.label for m in spec.methods][::2]
    (['exp_cos, d = 8'], ['ReLU 1×10', 'ELU 1×10', 'tanh 1×10', 'CS (HC, N ≤ 2000)'])
    """
    d = {"smoke": 2, "ci": 8, "paper": 8}[scale]
    archs = _archs(scale, ((1, 10), (4, 40))) + (LARGE_ARCHITECTURES if scale == "paper" else ())
    acts = {"smoke": ("relu", "tanh"), "ci": ACTIVATIONS, "paper": ACTIVATIONS}[scale]
    # ci: two m of E1's ci grid in d = 8, so E2 shares E1's ReLU and CS units
    ms = {"smoke": (40,), "ci": (75, 300), "paper": paper_m("exp_cos", d)}[scale]
    methods = [_dnn(L, N, a) for a in acts for L, N in archs] + [_cs(scale)]
    return _spec("e2", "Architectures and activations", scale,
                 _problems(("exp_cos",), (d,), ms), methods)


def e3(scale: str) -> ExperimentSpec:
    """E3: harder smooth functions (``exp_cos5``, and the two rational
    functions in d = 8 from ``ci`` on).

    >>> [(p.function, p.d) for p in e3("ci").problems]
    [('exp_cos5', 1), ('slower_decay_rational', 8), ('mixed_trig_rational', 8)]
    """
    rational = ("slower_decay_rational", "mixed_trig_rational")
    problems = {
        "smoke": _problems(("exp_cos5",), (1,), (20, 40)),
        # ci: networks on these functions run all 50,000 epochs, so few points
        "ci": _problems(("exp_cos5",), (1,), _ci_m((50, 200))) + _problems(rational, (8,), _ci_m((75, 300))),
        "paper": _problems(("exp_cos5",), (1, 2, 3, 4, 8), paper_m)
        + _problems(rational, (8,), paper_m) + _cs_only(_problems(rational, (16,), paper_m)),
    }[scale]
    archs = _archs(scale, ((4, 40),))
    acts = {"smoke": ("relu",), "ci": ("relu",), "paper": ACTIVATIONS}[scale]
    methods = [_cs(scale)] + [_dnn(L, N, a) for a in acts for L, N in archs]
    # the authors' points, each function seeded as they seeded it: one stream
    # for exp_cos5, seed t for trial t for slower_decay_rational
    return _spec("e3", "Harder smooth functions", scale, problems, methods)


def e4(scale: str) -> ExperimentSpec:
    """E4: piecewise constant functions, CS with the fixed and the
    cross-validated λ against ReLU networks.

    >>> spec = e4("ci")
    >>> [(p.function, p.d, p.m_values) for p in spec.problems][2:]
    [('indicator', 1, (63, 188)), ('indicator', 2, (76, 301))]
    >>> [m.label for m in spec.methods][:2]
    ['CS (HC, N ≤ 2000)', 'CS (HC, N ≤ 2000, λ by CV)']
    """
    # ci stops near m = 300 (200 in d = 1): CS on a jump with m close to
    # |Lambda| is slow to solve, and every network trains all 50,000 epochs;
    # the m are the released ones nearest those targets (indicator: 63, 188 in
    # d = 1, 76, 301 in d = 2)
    ci_m = lambda fn, d: _ci_m((50, 200) if d == 1 else (75, 300))(fn, d)
    problems = {
        "smoke": _problems(("halfspace",), (2,), (40,)),
        "ci": _problems(("halfspace",), (2, 8), ci_m) + _problems(("indicator",), (1, 2), ci_m),
        "paper": _problems(("halfspace",), (1, 2, 3, 4, 8), paper_m)
        + _problems(("indicator",), (1, 2, 4), paper_m),
    }[scale]
    archs = _archs(scale, ((1, 10), (4, 40)))
    # CS twice: the book's fixed lambda and lambda by cross-validation on each
    # trial's samples (dnngap.tuning), so that no conclusion rests on lambda
    methods = [_cs(scale), _cs(scale, lam="cv")] + [_dnn(L, N, "relu") for L, N in archs]
    return _spec("e4", "Piecewise constant functions, where DNNs compete", scale, problems, methods)


def e5(scale: str) -> ExperimentSpec:
    """E5: the one-dimensional illustrations, each trial's prediction stored
    on ``plot_points`` equispaced points for drawing.

    >>> spec = e5("ci")
    >>> [p.function for p in spec.problems], spec.plot_points, e5("smoke").plot_points
    (['logsin_plus_sin_K1', 'logsin_plus_sin_K10', 'f1'], 2048, 64)
    """
    fns = ("logsin_plus_sin_K1", "logsin_plus_sin_K10", "f1")
    # ci: m well below |Lambda| (CS solves with m close to |Lambda| are slow)
    ms = {"smoke": (40,), "ci": _ci_m((50, 100)), "paper": paper_m}[scale]
    # ci: one ReLU 2x20 network (every network here runs all 50,000 epochs);
    # CS on the paper's index set (N <= 2000) and the paper's plot points,
    # which cost seconds at these m
    archs = _archs(scale, ((2, 20),))
    acts = {"smoke": ("relu",), "ci": ("relu",), "paper": ACTIVATIONS}[scale]
    methods = [_cs(scale)] + [_dnn(L, N, a) for a in acts for L, N in archs]
    return _spec("e5", "One-dimensional illustrations", scale, _problems(fns, (1,), ms), methods,
                 plot_points={"smoke": 64, "ci": 2048, "paper": 2048}[scale])


def e6(scale: str) -> ExperimentSpec:
    """E6: the same networks trained in single and in double precision.

    >>> [m.label for m in e6("ci").methods]
    ['CS (HC, N ≤ 2000)', 'ReLU 2×20', 'ReLU 2×20, double']
    """
    d = {"smoke": 1, "ci": 8, "paper": 8}[scale]
    ms = {"smoke": (40,), "ci": (75, 300), "paper": paper_m("exp_cos", d)}[scale]
    # ci: 2x20, whose 200,000 double-precision epochs fit the book's budget
    archs = _archs(scale, ((2, 20),))
    methods = [_cs(scale)]
    for L, N in archs:
        methods.append(_dnn(L, N, "relu", precision="single"))
        methods.append(_dnn(L, N, "relu", precision="double"))
    return _spec("e6", "Single vs double precision", scale,
                 _problems(("exp_cos",), (d,), ms), methods)


#: Index-set bounds of E7 and of E8's existence network: CS's own (2,000) and a
#: small one (300), on which the existence network is cheap enough for the
#: book's build (with N close to 2,000 in d = 4 one unit of 5 trials takes over
#: ten minutes). The paper scale computes both, ci the small one, so every ci
#: point is a paper point.
EXISTENCE_NMAX = {"smoke": (30,), "ci": (300,), "paper": (300, 2000)}


def e7(scale: str) -> ExperimentSpec:
    """E7: the existence theorem's network next to CS on the same index set
    (:data:`EXISTENCE_NMAX`) and a trained ReLU 4×40.

    >>> spec = e7("ci")
    >>> [p.d for p in spec.problems], [m.label for m in spec.methods]
    ([4, 8], ['CS (HC, N ≤ 300)', 'existence network (N ≤ 300, δ = 1e-08)', 'ReLU 4×40'])
    >>> len(e7("paper").methods)      # both index sets: 2 × (CS, existence) + the network
    5
    """
    # ci: d = 4, 8 rather than 2, 4. In d = 2 a hyperbolic cross of 300
    # elements resolves exp_cos to rounding level, where the ratio of two
    # errors means nothing.
    dims = {"smoke": (2,), "ci": (4, 8), "paper": (2, 4, 8)}[scale]
    ms = {"smoke": (40, 80), "ci": _ci_m((100, 200, 400)), "paper": paper_m}[scale]
    methods = [m for n in EXISTENCE_NMAX[scale] for m in (_cs(scale, n_max=n), ExistenceMethod(n_max=n))]
    methods.append(_dnn(4, 40, "relu"))
    return _spec("e7", "The practical existence theorem", scale,
                 _problems(("exp_cos",), dims, ms), methods)


#: Emulation accuracies of E7's delta sweep.
DELTAS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8)


def e7_delta(scale: str) -> ExperimentSpec:
    """E7's sweep of the emulation accuracy delta: the existence network at
    several delta next to CS, on one problem (its CS units are E7's).

    >>> spec = e7_delta("ci")
    >>> [m.delta for m in spec.methods[1:]] == list(DELTAS), spec.methods[0] in e7("ci").methods
    (True, True)
    """
    d = {"smoke": 2, "ci": 4, "paper": 4}[scale]
    # ci: the small index set at m = 375; paper: also CS's own index set, and m = 1200
    ms = {"smoke": (80,), "ci": (375,), "paper": (375, 1200)}[scale]
    methods = [m for n in EXISTENCE_NMAX[scale]
               for m in [_cs(scale, n_max=n)] + [ExistenceMethod(n_max=n, delta=delta) for delta in DELTAS]]
    return _spec("e7_delta", "The existence network's emulation accuracy", scale,
                 _problems(("exp_cos",), (d,), ms), methods)


#: E8's training recipes (:mod:`dnngap.recipes`), in the order of its figures.
#: A new recipe is one decorated function in ``dnngap.recipes`` and one name here.
E8_RECIPES = ("paper", "adam_double", "adam_lbfgs", "tanh_lbfgs", "he_lbfgs")
#: E8's paper scale adds the recipes that change the paper's protocol in one
#: thing only (:mod:`dnngap.recipes`): precision, budget, optimiser.
E8_PAPER_RECIPES = ("paper", "paper_double", "paper_long", "sgd", "adam_double", "adam_lbfgs", "tanh_lbfgs",
                    "he_lbfgs")
#: E8's paper scale also trains the best recipe at ``ci`` (tanh with
#: Adam+L-BFGS) and the paper protocol on a second architecture, 5×50 (the
#: paper protocol's best network in E1's paper-scale results at large m).
E8_PAPER_SECOND = (("paper", 5, 50), ("tanh_lbfgs", 5, 50))
#: Index-set bounds of E8's fine-tuned existence network, per scale: at
#: ``paper`` CS's own (matched N) and 300 (as the existence network at ``ci``);
#: none at ``ci``, where a trial costs minutes, more than the chapter's budget
#: (see :mod:`dnngap.existence.finetune`); a tiny one at ``smoke``.
E8_FINETUNE_NMAX = {"smoke": (60,), "ci": (), "paper": (300, 2000)}
#: E8's paper-scale sample sizes, of the released grid: those of ``ci`` and
#: three spread over it.
E8_PAPER_M = (150, 300, 600, 1200, 2250)


def e8(scale: str) -> ExperimentSpec:
    """Beyond the paper: training recipes for the same 4×40 network on the same
    samples, next to CS and the existence network.

    ``ci``: 3 trials (not 5: every point trains five recipes), m = 150, 600,
    and the existence network in d = 8 only, on a hyperbolic cross of at most
    300 elements (E7's ``ci``; on CS's 2,000 it costs more than all the
    recipes together). ``paper``: the problems of ``ci`` at
    :data:`E8_PAPER_M`, 20 trials, every recipe of :data:`E8_PAPER_RECIPES`
    (and :data:`E8_PAPER_SECOND` on a second architecture), and the
    existence network in d = 8 on both index sets (CS's, and 300 elements as
    at ``ci``), as constructed and with every layer trained from there
    (:data:`E8_FINETUNE_NMAX`).

    >>> spec = e8("ci")
    >>> spec.trials, [m.recipe for m in spec.methods if m.kind == "recipe"] == list(E8_RECIPES)
    (3, True)
    >>> [(p.function, p.d, p.kinds) for p in spec.problems][0]
    ('exp_cos', 2, ('cs', 'recipe'))
    """
    dims = {"smoke": (2,), "ci": (2, 8), "paper": (2, 8)}[scale]
    ms = {"smoke": (40, 80), "ci": (150, 600), "paper": E8_PAPER_M}[scale]
    archs = {"smoke": ((1, 10),), "ci": ((4, 40),), "paper": ((4, 40),)}[scale]
    methods = [_cs(scale)] + [ExistenceMethod(n_max=n) for n in {"smoke": (60,), "ci": (300,),
                                                                  "paper": EXISTENCE_NMAX["paper"]}[scale]]
    recipes = E8_PAPER_RECIPES if scale == "paper" else E8_RECIPES
    methods += [RecipeMethod(recipe=r, depth=L, width=N) for r in recipes for L, N in archs]
    if scale == "paper":
        methods += [RecipeMethod(recipe=r, depth=L, width=N) for r, L, N in E8_PAPER_SECOND]
    methods += [FinetuneMethod(n_max=n) for n in E8_FINETUNE_NMAX[scale]]
    problems = _problems(("exp_cos",), dims, ms) + _problems(
        ("slower_decay_rational",), (8,) if scale != "smoke" else dims, ms)  # the harder function in d = 8 only
    if scale != "smoke":  # d = 2: CS at rounding level, the networks' training alone
        problems = tuple(p if p.d == 8 else dataclasses.replace(p, kinds=("cs", "recipe")) for p in problems)
    return _spec("e8", "Beyond the paper: can training alone close the gap?", scale, problems, methods,
                 trials={"smoke": 2, "ci": 3, "paper": 20}[scale])


def cs_convergence(scale: str) -> ExperimentSpec:
    """CS alone on E1's problems (its units are shared with E1's CS).

    >>> spec = cs_convergence("ci")
    >>> [m.label for m in spec.methods], spec.problems == e1("ci").problems
    (['CS (HC, N ≤ 2000)'], True)
    >>> {u.key for u in spec.units()} <= {u.key for u in e1("ci").units()}
    True
    """
    spec = e1(scale)
    return dataclasses.replace(spec, name="cs_convergence", title="Compressed sensing: convergence in m",
                               methods=tuple(m for m in spec.methods if isinstance(m, CSMethod)))


#: The values of λ that :func:`cs_lambda` sweeps (the default
#: :data:`dnngap.cs.DEFAULT_LAMBDA` = 1e-4 among them).
LAMBDA_SWEEP = (1e-6, 1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)


def cs_lambda(scale: str) -> ExperimentSpec:
    """CS's test error against λ, and λ by cross-validation, for one function
    of each class (smooth, slow decay, jump, indicator) at one ``m`` each.

    The points are the released ``m`` nearest 300 (200 in ``d = 1``) and the
    authors' samples; every λ of :data:`LAMBDA_SWEEP` is one CS method, so the
    sweep is stored, resumed and verified like every other result.

    >>> spec = cs_lambda("ci")
    >>> [(p.function, p.d, p.m_values) for p in spec.problems][-1], len(spec.methods)
    (('indicator', 1, (188,)), 10)
    >>> spec.methods[4].label
    'CS (HC, N ≤ 2000, λ = 3e-3)'
    """
    ms = (lambda fn, d: (40,)) if scale == "smoke" else (lambda fn, d: _ci_m((200,) if d == 1 else (300,))(fn, d))
    problems = sum((_problems((fn,), (d,), ms) for fn, d in
                    (("exp_cos", 8), ("slower_decay_rational", 8), ("halfspace", 2), ("indicator", 1))), ())
    methods = [_cs(scale, lam=lam) for lam in LAMBDA_SWEEP] + [_cs(scale, lam="cv")]
    return _spec("cs_lambda", "Compressed sensing: the choice of λ", scale, problems, methods)


EXPERIMENTS: dict[str, Callable[[str], ExperimentSpec]] = {
    "cs_convergence": cs_convergence, "cs_lambda": cs_lambda,
    "e1": e1, "e2": e2, "e3": e3, "e4": e4, "e5": e5, "e6": e6, "e7": e7, "e7_delta": e7_delta,
    "e8": e8,
}


def available() -> list[str]:
    """Names of the registered experiments.

    >>> available()
    ['cs_convergence', 'cs_lambda', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e7_delta', 'e8']
    """
    return list(EXPERIMENTS)


# ---------------------------------------------------------------------------
# overrides
# ---------------------------------------------------------------------------
def _tuple_of(kind, name):
    def convert(value):
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if not isinstance(v, kind) or isinstance(v, bool):
                raise ValueError(f"{name} must be a list of {kind.__name__}; got {value!r}")
        return tuple(values)
    return convert


def _arch(value) -> tuple[tuple[int, int], ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in values:
        try:
            L, N = (int(x) for x in str(v).lower().replace("×", "x").split("x"))
        except ValueError:
            raise ValueError(f"architectures must be a list like ['1x10', '4x40']; got {value!r}") from None
        out.append((L, N))
    return tuple(out)


def _scalar(kind, name):
    def convert(value):
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise ValueError(f"{name} must be {kind.__name__}; got {value!r}")
        return value
    return convert


#: Override keys: name -> (converter, description).
OVERRIDES: dict[str, tuple[Callable, str]] = {
    "trials": (_scalar(int, "trials"), "number of trials"),
    "m_values": (_tuple_of(int, "m_values"), "sample sizes, for every problem"),
    "functions": (_tuple_of(str, "functions"), "test functions (crossed with dims)"),
    "dims": (_tuple_of(int, "dims"), "dimensions (crossed with functions)"),
    "architectures": (_arch, "DNN architectures 'LxN' (crossed with activations, or with recipes)"),
    "recipes": (_tuple_of(str, "recipes"), "training recipes (names in dnngap.recipes), crossed with architectures"),
    "budget": (_scalar(float, "budget"), "factor on every training recipe's epochs and iterations (and the fine-tuned existence network's)"),
    "activations": (_tuple_of(str, "activations"), "DNN activations"),
    "epochs": (_scalar(int, "epochs"), "epochs of every DNN"),
    "precision": (_scalar(str, "precision"), "'single' or 'double' for every DNN"),
    "convention": (_scalar(str, "convention"), "depth convention 'code' or 'paper'"),
    "optimizer": (_scalar(str, "optimizer"), "'adam' or 'sgd'"),
    "lam": (_scalar(float, "lam"), "CS / existence regularisation parameter"),
    "n_max": (_scalar(int, "n_max"), "largest index set size (CS, the existence network and its fine-tuned version)"),
    "estimator": (_scalar(str, "estimator"), "'auto', 'sparse_grid' or 'monte_carlo'"),
    "mc_points": (_scalar(int, "mc_points"), "Monte Carlo test points"),
    "seed": (_scalar(int, "seed"), "sampler seed"),
    "sampler": (_scalar(str, "sampler"), "'uniform' or 'matlab'"),
    "device": (_scalar(str, "device"), "'auto', 'cpu' or 'cuda'"),
}


def apply_overrides(spec: ExperimentSpec, **overrides: Any) -> ExperimentSpec:
    """Return ``spec`` with the given knobs changed (see :data:`OVERRIDES`).

    Unknown keys and wrong types raise ``ValueError`` naming the key and the
    allowed values, before anything is computed.

    >>> spec = apply_overrides(e1("smoke"), dims=[1], epochs=10, architectures=["1x5", "2x10"])
    >>> [p.label for p in spec.problems], [m.label for m in spec.methods]
    (['exp_cos, d = 1'], ['CS (HC, N ≤ 60)', 'ReLU 1×5', 'ReLU 2×10'])
    >>> apply_overrides(e1("smoke"), trials="3")
    Traceback (most recent call last):
    ...
    ValueError: trials must be int; got '3'
    """
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise ValueError(f"unknown override(s) {unknown}; allowed: {sorted(OVERRIDES)}")
    o = {k: OVERRIDES[k][0](v) for k, v in overrides.items()}
    changes: dict[str, Any] = {}
    if "trials" in o:
        changes["trials"] = o["trials"]
    if "device" in o:
        changes["device"] = o["device"]
    if {"m_values", "functions", "dims"} & set(o):
        fns = o.get("functions", tuple(dict.fromkeys(p.function for p in spec.problems)))
        dims = o.get("dims", tuple(dict.fromkeys(p.d for p in spec.problems)))
        by_problem = {(p.function, p.d): p.m_values for p in spec.problems}
        by_d = {p.d: p.m_values for p in spec.problems}
        default_m = spec.problems[-1].m_values
        kinds = {(p.function, p.d): p.kinds for p in spec.problems}
        def m_values(fn: str, d: int) -> tuple[int, ...]:
            if (fn, d) in by_problem:
                return by_problem[(fn, d)]
            return paper_m(fn, d) if spec.scale == "paper" else by_d.get(d, default_m)
        problems = _problems(fns, dims, o.get("m_values", m_values))
        changes["problems"] = tuple(dataclasses.replace(p, kinds=kinds.get((p.function, p.d), ()))
                                    for p in problems)
    methods = list(spec.methods)
    dnns = [m for m in methods if isinstance(m, DNNMethod)]
    if ({"architectures", "activations"} & set(o)) and dnns:
        template = dnns[0]
        archs = o.get("architectures", tuple(dict.fromkeys((m.depth, m.width) for m in dnns)))
        acts = o.get("activations", tuple(dict.fromkeys(m.activation for m in dnns)))
        precisions = tuple(dict.fromkeys((m.precision, m.epochs) for m in dnns))
        new = [dataclasses.replace(template, depth=L, width=N, activation=a, precision=p, epochs=e)
               for a in acts for (L, N) in archs for (p, e) in precisions]
        methods = [m for m in methods if not isinstance(m, DNNMethod)] + new
    recipe_methods = [m for m in methods if isinstance(m, RecipeMethod)]
    if ({"recipes", "architectures"} & set(o)) and recipe_methods:
        template = recipe_methods[0]
        names = o.get("recipes", tuple(dict.fromkeys(m.recipe for m in recipe_methods)))
        archs = o.get("architectures", tuple(dict.fromkeys((m.depth, m.width) for m in recipe_methods)))
        new = [dataclasses.replace(template, recipe=r, depth=L, width=N, activation=None)
               for r in names for (L, N) in archs]
        methods = [m for m in methods if not isinstance(m, RecipeMethod)] + new
    if "budget" in o:
        methods = [dataclasses.replace(m, budget=o["budget"]) if isinstance(m, (RecipeMethod, FinetuneMethod))
                   else m for m in methods]
    dnn_fields = {k: o[k] for k in ("epochs", "precision", "convention", "optimizer") if k in o}
    if dnn_fields:
        methods = [dataclasses.replace(m, **dnn_fields) if isinstance(m, DNNMethod) else m for m in methods]
        methods = list(dict.fromkeys(methods))  # e.g. precision=double makes E6's pair identical
    for key, kinds in (("lam", (CSMethod, ExistenceMethod)), ("n_max", (CSMethod, ExistenceMethod, FinetuneMethod))):
        if key in o:
            methods = [dataclasses.replace(m, **{key: o[key]}) if isinstance(m, kinds) else m for m in methods]
    if methods != list(spec.methods):
        changes["methods"] = tuple(methods)
    if {"estimator", "mc_points"} & set(o):
        changes["test"] = dataclasses.replace(
            spec.test, **{k: o[k] for k in ("estimator", "mc_points") if k in o})
    if {"seed", "sampler"} & set(o):
        changes["sampler"] = dataclasses.replace(
            spec.sampler, **({"seed": o["seed"]} if "seed" in o else {}),
            **({"kind": o["sampler"]} if "sampler" in o else {}))
    return dataclasses.replace(spec, **changes) if changes else spec


def get(name: str, scale: str = "ci", **overrides: Any) -> ExperimentSpec:
    """The experiment ``name`` at ``scale``, with ``overrides`` applied.

    ``name`` is one of :func:`available`, ``scale`` one of ``"smoke"``,
    ``"ci"``, ``"paper"``; ``overrides`` are the knobs of :data:`OVERRIDES`.

    >>> spec = get("e1", "ci", dims=[2], trials=3)
    >>> spec.scale, spec.trials, [p.label for p in spec.problems], len(spec.units())
    ('ci', 3, ['exp_cos, d = 2'], 9)
    """
    _choice("experiment", name, tuple(EXPERIMENTS))
    _choice("scale", scale, SCALES)
    return apply_overrides(EXPERIMENTS[name](scale), **overrides)
