"""Experiments: declarative specs, a resumable results store, scales, runner.

Compute is separate from plotting. An experiment is an
:class:`ExperimentSpec`; :func:`run` fills the results :class:`Store` (one
file per ``(problem, method, m)``, resumable, atomic); :func:`load` reads it
back as :class:`Results`; :func:`verify` recomputes a sample of stored units
and compares (:func:`verify_committed`: of the results committed to git);
:func:`plan` lists what is missing and estimates its cost;
:mod:`dnngap.plotting` draws figures from those.

>>> from dnngap import experiments
>>> spec = experiments.get("e1", "smoke")
>>> [p.label for p in spec.problems]
['exp_cos, d = 1', 'exp_cos, d = 2']

The paper's experiments E1–E7 are registered by name (:func:`available`) at
three scales (``smoke``, ``ci``, ``paper``); see :mod:`.catalog`.
"""

from __future__ import annotations

from typing import Any

from .catalog import OVERRIDES, apply_overrides, available, get
from .execution import local_cluster, run
from .planning import Plan, plan, run_largest_first
from .records import Results, SummaryRow, estimator_notes, load
from .specs import (SCALES, CSMethod, DNNMethod, ExistenceMethod, ExperimentSpec, FinetuneMethod, Problem,
                    RecipeMethod, Sampler, TestSpec, Unit)
from .store import Store, code_version, git_commit, numerics_versions
from .verify import VerifyReport, verify, verify_committed

__all__ = [
    "OVERRIDES", "SCALES", "CSMethod", "DNNMethod", "ExistenceMethod", "ExperimentSpec", "FinetuneMethod", "Problem",
    "RecipeMethod", "Results", "Sampler", "Store", "SummaryRow", "TestSpec", "Unit", "VerifyReport",
    "apply_overrides", "available", "code_version", "estimator_notes", "get", "git_commit",
    "load", "local_cluster", "numerics_versions", "Plan", "plan", "results", "run", "run_largest_first",
    "verify", "verify_committed",
]


def results(name: str, scale: str = "ci", *, store: Store | None = None, progress: bool = False,
            **overrides: Any) -> Results:
    """What a book chapter shows: the largest complete scale in the store.

    ``overrides`` are the knobs of :data:`OVERRIDES`; a knob given as
    ``None`` is left at the scale's value (so a notebook passes its
    ``parameters`` cell as it is). A complete larger scale with the same
    knobs found in the store is used in place of the requested one (``paper``
    before ``ci`` before ``smoke``), unless ``trials`` is given (a number of
    trials asks for exactly that); otherwise the requested scale is run
    (resuming, computing only what is missing). ``device`` says where to
    compute, not what, so it never stops the lookup. ``Results.scale`` says
    which scale was used.

    >>> import tempfile
    >>> store = Store(tempfile.mkdtemp())
    >>> res = results("cs_convergence", "smoke", store=store, dims=None)   # computed: 4 CS units
    >>> res.scale, res.complete, len(res.records)
    ('smoke', True, 8)
    >>> results("cs_convergence", "smoke", store=store).records == res.records   # now only read
    True
    """
    overrides = {k: v for k, v in overrides.items() if v is not None}
    spec = get(name, scale, **overrides)  # validates before anything else
    if "trials" not in overrides:
        for bigger in reversed(SCALES[SCALES.index(scale) + 1:]):
            found = load(get(name, bigger, **overrides), store)
            if found.complete:
                return found
    return run(spec, store, progress=progress)
