"""E8's sentences: training recipes, CS and the existence network, written from stored results.

Chapter E8 states, from its data, how each training recipe compares with CS
and with the paper's protocol (at the largest ``m`` of this build's scale,
and trial by trial at the committed paper-scale points), and what training
every layer does to the existence network. These functions write those
sentences (with :func:`~dnngap.experiments.describe.number` and
:func:`~dnngap.experiments.describe.span`); :func:`dnngap.experiments.checks.e8`
recomputes what they state by another route.

>>> from dnngap.experiments import describe_e8
>>> describe_e8.CLOSE
2.0
"""

from __future__ import annotations

import math

import numpy as np

from . import checks
from .describe import number, span, tex_int
from .records import Results

#: A recipe "closes the gap" on a problem if its error is within this factor of CS's.
CLOSE: float = 2.0


# -- per paper-scale point: factors to CS and to the paper protocol -------------
def _e8_example() -> Results:
    """Three trials of ``exp_cos`` in d = 8 at m = 300: CS (errors 1e-6 × 1, 2, 4),
    the paper protocol (1e-2 in each: 5·10³ times CS's, geometric mean over the
    trials), ``adam_lbfgs`` (2e-3 × 1, 2, 4: 0.4 times the paper protocol's), the
    existence network on N ≤ 300 (3e-6 × 1, 2, 4) and that network fine-tuned
    (3.3e-6 × 1, 2, 4; training MSE 1e-12 -> 1e-14); the recipes' training MSE
    is 5e-7 (paper protocol) and 2e-7."""
    from .methods import CSMethod, ExistenceMethod, FinetuneMethod, RecipeMethod
    from .specs import ExperimentSpec, Problem

    methods = (CSMethod(), RecipeMethod("paper"), RecipeMethod("adam_lbfgs"), ExistenceMethod(n_max=300),
               FinetuneMethod(n_max=300))
    spec = ExperimentSpec("demo", "demo", "paper", (Problem("exp_cos", 8, (300,)),), methods, trials=3)
    base = {"cs": 1e-6, "paper": 1e-2, "adam_lbfgs": 2e-3, "existence": 3e-6, "finetune": 3.3e-6}
    train = {"paper": 5e-7, "adam_lbfgs": 2e-7}  # training MSE of the recipes, every trial
    records = []
    for mt in methods:
        name = getattr(mt, "recipe", mt.kind)
        for t in range(3):
            rec = dict(function="exp_cos", d=8, m=300, trial=t, method=mt.label, method_kind=mt.kind,
                       rel_l2=base[name] * (1 if name == "paper" else 2**t), train_loss=train.get(name),
                       estimator="sparse_grid", stop_reason="converged")
            if mt.kind == "finetune":
                rec.update(train_loss=1e-14, start_train_loss=1e-12)
            records.append(rec)
    return Results(spec, records)


def _paper_protocol(results: Results):
    """The paper protocol's recipe method: recipe ``"paper"`` on the first architecture that has it."""
    return next(m for m in results.spec.methods if m.kind == "recipe" and m.recipe == "paper")


def paper_points(results: Results) -> list[tuple[str, int, int]]:
    """The points ``(function, d, m)`` where CS and every recipe on the paper
    protocol's network are stored (the existence networks and a second
    architecture join a point when stored, but do not hold it back).

    >>> res = _e8_example()
    >>> paper_points(res)
    [('exp_cos', 8, 300)]
    >>> paper_points(Results(res.spec, [r for r in res.records if r["method_kind"] != "cs"],
    ...                      missing=[u for u in res.spec.units() if u.method.kind == "cs"]))
    []
    """
    base = _paper_protocol(results)
    main = lambda mt: mt.kind == "cs" or (mt.kind == "recipe" and (mt.depth, mt.width) == (base.depth, base.width))  # noqa: E731
    missing = {(u.problem.function, u.problem.d, u.m) for u in results.missing if main(u.method)}
    return [(p.function, p.d, m) for p in results.spec.problems for m in p.m_values if (p.function, p.d, m) not in missing]


def recipe_factors(results: Results, *, function: str, d: int, m: int, resamples: int = 2000):
    r"""Every method at one point as a factor of CS's error and of the paper
    protocol's, trial by trial (:meth:`Results.paired_factors`), with the
    training MSE (geometric mean over the trials, networks only).

    Columns: ``method``, ``trials``, ``error``, ``factor`` (to CS), ``low``,
    ``high`` (its 95 % bootstrap interval), ``× paper protocol`` with
    ``× paper protocol, low`` and ``× paper protocol, high``, ``training MSE``.

    >>> tab = recipe_factors(_e8_example(), function="exp_cos", d=8, m=300)
    >>> tab.set_index("method")[["factor", "× paper protocol"]].round(3).loc["ReLU 4×40, Adam+L-BFGS (double)"].tolist()
    [2000.0, 0.4]
    """
    from scipy.stats import gmean

    cs = next(mt.label for mt in results.spec.methods if mt.kind == "cs")
    table = results.paired_factors(cs, function=function, d=d, m=m, resamples=resamples)
    to_paper = results.paired_factors(_paper_protocol(results).label, function=function, d=d, m=m,
                                      resamples=resamples).set_index("method")
    train = results.by_trial("train_loss", function=function, d=d, m=m)
    networks = {mt.label for mt in results.spec.methods if mt.role == "network" or mt.kind == "finetune"}
    table["× paper protocol"] = table["method"].map(to_paper["factor"])
    table["× paper protocol, low"] = table["method"].map(to_paper["low"])
    table["× paper protocol, high"] = table["method"].map(to_paper["high"])
    table["training MSE"] = table["method"].map(
        lambda lb: float(gmean(train[lb].astype(float))) if lb in networks and lb in train else math.nan)
    return table


def _recipe_rows(results: Results, table):
    """The recipes' rows of a :func:`recipe_factors` table, the best of them and the paper protocol's."""
    labels = {mt.label for mt in results.spec.methods if mt.kind == "recipe"}
    rec = table[table["method"].isin(labels)]
    base = _paper_protocol(results).label
    return rec, rec.loc[rec["factor"].idxmin()], rec[rec["method"] == base].iloc[0]


def _ci(row) -> str:
    return f"{number(row['factor'], 3)}× CS (95 %: {span(row['low'], row['high'], 3)})"


#: What each recipe that is the paper protocol with one change changes (E8's prose).
ONE_CHANGE = {"paper_double": "precision alone", "paper_long": "budget alone", "sgd": "the optimiser alone (SGD)"}


def recipe_answer(results: Results, table, *, function: str, m: int) -> str:
    """E8's answer at one paper-scale point (a :func:`recipe_factors` table):
    the paper protocol's factor to CS, the best recipe's, what each
    one-change recipe does to the paper protocol's error, and whether the
    best recipe closes the gap (its whole interval within :data:`CLOSE` of
    CS), does not (the whole interval above), or cannot be told.

    >>> res = _e8_example()
    >>> recipe_answer(res, recipe_factors(res, function="exp_cos", d=8, m=300), function="exp_cos", m=300)
    "`exp_cos` at $m = 300$: the paper protocol is at 5.00·10³× CS (95 %: 2.50·10³–1.00·10⁴); the best recipe, ReLU 4×40, Adam+L-BFGS (double), at 2.00·10³× CS (95 %: 2.00·10³), 2.5 times more accurate than the paper protocol. No recipe closes the gap here: even the best one's interval lies above a factor 2 of CS's error"
    """
    from .. import recipes

    rec, best, base = _recipe_rows(results, table)
    text = f"`{function}` at $m = {tex_int(m)}$: the paper protocol is at {_ci(base)}"
    if best["method"] == base["method"]:
        text += ", and no recipe does better"
    else:
        text += (f"; the best recipe, {best['method']}, at {_ci(best)}, "
                 f"{number(1 / best['× paper protocol'])} times more accurate than the paper protocol")
    one = {mt.recipe: mt.label for mt in results.spec.methods
           if mt.kind == "recipe" and recipes.get(mt.recipe).epochs and mt.recipe != "paper"}

    def change(r: str, label: str) -> str:
        row = rec[rec["method"] == label].iloc[0]
        return (f"{ONE_CHANGE.get(r, r)} {number(row['× paper protocol'], 3)} "
                f"(95 %: {span(row['× paper protocol, low'], row['× paper protocol, high'], 3)})")

    parts = [change(r, lb) for r, lb in one.items() if lb in set(rec["method"])]
    text += f" (error over the paper protocol's when changing {', '.join(parts)})" if parts else ""
    return text + ". " + _verdict(best, base)


def _verdict(best, base, close: float = CLOSE) -> str:
    """Whether the best recipe closes the gap (within ``close`` of CS), by its interval,
    and whether there was a gap to close (the paper protocol's interval above ``close``)."""
    if base["high"] <= close:
        return (f"Here the paper protocol itself is within a factor {close:g} of CS: there is little gap to "
                "close")
    if best["low"] > close:
        return (f"No recipe closes the gap here: even the best one's interval lies above a factor {close:g} "
                "of CS's error")
    if best["high"] <= close:
        return f"Here training closes the gap: {best['method']} is within a factor {close:g} of CS"
    return f"Whether {best['method']} comes within a factor {close:g} of CS, its interval cannot tell"


def recipe_brief(results: Results, table, *, function: str, d: int, m: int) -> str:
    """One clause for the findings summary: the best recipe and the paper protocol at one point.

    >>> res = _e8_example()
    >>> recipe_brief(res, recipe_factors(res, function="exp_cos", d=8, m=300), function="exp_cos", d=8, m=300)
    "at exp_cos, d = 8, m = 300: the best recipe, ReLU 4×40, Adam+L-BFGS (double), has 2.00·10³ times CS's error (95 %: 2.00·10³), the paper protocol 5.00·10³ times"
    """
    _, best, base = _recipe_rows(results, table)
    return (f"at {function}, d = {d}, m = {m:,}: the best recipe, {best['method']}, has "
            f"{number(best['factor'], 3)} times CS's error (95 %: {span(best['low'], best['high'], 3)}), "
            f"the paper protocol {number(base['factor'], 3)} times")


# -- the existence network trained further ---------------------------------------
def finetuned(results: Results, resamples: int = 2000):
    r"""Per point where both are stored, the fine-tuned existence network
    against the constructed network it started from, trial by trial.

    Columns: ``function``, ``d``, ``m``, ``N`` (the index-set bound),
    ``trials``, ``start error`` and ``error`` (geometric means),
    ``factor`` (fine-tuned over constructed, :meth:`Results.paired_factors`),
    ``low``, ``high`` (95 % bootstrap), ``× CS`` (fine-tuned over CS, where
    CS is stored), ``start MSE`` and ``MSE`` (training MSE before and after,
    geometric means).

    >>> finetuned(_e8_example())[["m", "N", "factor", "× CS", "start MSE", "MSE"]].round(3).values.tolist()
    [[300.0, 300.0, 1.1, 3.3, 0.0, 0.0]]
    """
    import pandas as pd
    from scipy.stats import gmean

    columns = ["function", "d", "m", "N", "trials", "start error", "error", "factor", "low", "high", "× CS",
               "start MSE", "MSE"]
    cs = next((mt.label for mt in results.spec.methods if mt.kind == "cs"), None)
    stored = {(r["method"], r["function"], r["d"], r["m"]) for r in results.records}
    rows = []
    for mt in (x for x in results.spec.methods if x.kind == "finetune"):
        start = mt.start().label
        for p in results.spec.problems:
            for m in p.m_values if p.runs(mt) else ():
                if not {(mt.label, p.function, p.d, m), (start, p.function, p.d, m)} <= stored:
                    continue
                where = dict(function=p.function, d=p.d, m=m)
                pair = results.paired_factors(start, resamples=resamples, **where).set_index("method")
                to_cs = (results.paired_factors(cs, resamples=resamples, **where).set_index("method")
                         if (cs, p.function, p.d, m) in stored else None)
                mine = results.select(method=mt.label, **where)
                rows.append([p.function, p.d, m, mt.n_max, int(pair.loc[mt.label, "trials"]),
                             pair.loc[start, "error"], pair.loc[mt.label, "error"], pair.loc[mt.label, "factor"],
                             pair.loc[mt.label, "low"], pair.loc[mt.label, "high"],
                             math.nan if to_cs is None else to_cs.loc[mt.label, "factor"],
                             float(gmean([r["start_train_loss"] for r in mine])),
                             float(gmean([max(r["train_loss"], 1e-300) for r in mine]))])
    return pd.DataFrame(rows, columns=columns)


def finetuned_sentence(table) -> str:
    """What training every layer did to the existence network, point by point
    (a :func:`finetuned` table): the training MSE before and after, and the
    test error's factor with its interval, read as *improved* (the whole
    interval below 1), *worsened* (above 1) or *kept* (it contains 1).

    >>> finetuned_sentence(finetuned(_e8_example()))
    "at `exp_cos`, $d = 8$, $m = 300$ (N ≤ 300, 3 trials), training every layer took the training MSE from 1.0·10⁻¹² to 1.0·10⁻¹⁴ and worsened the test error by a factor 1.10 (95 %: 1.10), to 3.3 times CS's"
    >>> finetuned_sentence(finetuned(_e8_example()).iloc[:0])
    ''
    """
    parts = []
    for _, r in table.iterrows():
        verdict = ("improved" if r["high"] < 1 else "worsened" if r["low"] > 1 else "kept")
        by = (f"the test error (factor {number(r['factor'], 3)}, 95 %: {span(r['low'], r['high'], 3)})"
              if verdict == "kept" else
              f"the test error by a factor {number(r['factor'] if verdict == 'worsened' else 1 / r['factor'], 3)} "
              f"(95 %: {span(r['low'], r['high'], 3) if verdict == 'worsened' else span(1 / r['high'], 1 / r['low'], 3)})")
        cs = "" if math.isnan(r["× CS"]) else f", to {number(r['× CS'])} times CS's"
        parts.append(f"at `{r['function']}`, $d = {r['d']}$, $m = {tex_int(r['m'])}$ (N ≤ {r['N']:,}, {r['trials']} trials), "
                     f"training every layer took the training MSE from {number(r['start MSE'])} to "
                     f"{number(r['MSE'])} and {verdict} {by}{cs}")
    return "; ".join(parts)



def finetuned_brief(table) -> str:
    """One clause per stored point for the findings summary (a :func:`finetuned` table).

    >>> finetuned_brief(finetuned(_e8_example()))
    'exp_cos, d = 8, m = 300 (N ≤ 300): worsened, test error ×1.10 (95 %: 1.10)'
    >>> finetuned_brief(finetuned(_e8_example()).iloc[:0])
    'no point stored yet'
    """
    verdict = lambda r: "improved" if r["high"] < 1 else "worsened" if r["low"] > 1 else "kept"  # noqa: E731
    return "; ".join(f"{r['function']}, d = {r['d']}, m = {r['m']:,} (N ≤ {r['N']}): {verdict(r)}, test error "
                     f"×{number(r['factor'], 3)} (95 %: {span(r['low'], r['high'], 3)})"
                     for _, r in table.iterrows()) or "no point stored yet"


# -- this build's scale: the recipes at the largest m of each problem -----------
def _recipe_labels(results: Results) -> set[str]:
    return {mt.label for mt in results.spec.methods if mt.kind == "recipe"}


def largest_m_table(results: Results):
    """Every method at the largest ``m`` of each problem: ``function``, ``d``,
    ``m``, ``method``, ``error`` (geometric mean over the trials), ``× CS``,
    ``training MSE`` (recipes), ``Adam epochs`` and ``L-BFGS iterations``
    (medians), ``seconds per trial``.

    >>> largest_m_table(_e8_example())[["method", "× CS"]].round(1).values.tolist()[:3]
    [['CS (HC, N ≤ 2000)', 1.0], ['ReLU 4×40, paper protocol', 5000.0], ['ReLU 4×40, Adam+L-BFGS (double)', 2000.0]]
    """
    import pandas as pd
    from scipy.stats import gmean

    cs = next(mt.label for mt in results.spec.methods if mt.kind == "cs")
    frame = results.frame()
    largest = {(p.function, p.d): results.largest_m(p.function, p.d) for p in results.spec.problems}
    frame = frame[[largest[(f, d)] == m for f, d, m in zip(frame["function"], frame["d"], frame["m"])]]
    geo = lambda s: float(gmean(s.astype(float)))  # noqa: E731
    rows = []
    for (fn, d), group in frame.groupby(["function", "d"], sort=False):
        cs_error = geo(group[group["method"] == cs]["rel_l2"])
        for label in results.methods():
            mine = group[group["method"] == label]
            if mine.empty:
                continue
            stages = mine["stages"].dropna() if "stages" in mine else []
            rows.append({
                "function": fn, "d": d, "m": int(mine["m"].iloc[0]), "method": label,
                "error": geo(mine["rel_l2"]), "× CS": geo(mine["rel_l2"]) / cs_error,
                "training MSE": geo(mine["train_loss"]) if mine["method_kind"].iloc[0] == "recipe" else np.nan,
                "Adam epochs": np.median([s["adam"] for s in stages]) if len(stages) else np.nan,
                "L-BFGS iterations": np.median([s["lbfgs"] for s in stages]) if len(stages) else np.nan,
                "seconds per trial": float(mine["wall_time"].mean()) if "wall_time" in mine else np.nan,
            })
    return pd.DataFrame(rows)


def _recipes_at_largest(results: Results, table):
    return table[table["method"].isin(_recipe_labels(results))]


def recipe_scores(results: Results, table) -> dict[str, float]:
    r"""The recipes, best first, with their mean over the problems of
    :math:`\log_{10}` (error / CS's error) at the largest ``m``, leaving out the
    problems where CS is exact to rounding (:func:`~dnngap.experiments.checks.cs_at_rounding`)
    unless every problem is such. Computed from a :func:`largest_m_table`,
    independently of :func:`dnngap.experiments.checks.network_ranking`, which
    the chapter's checks compare it with.

    >>> res = _e8_example()
    >>> {k: round(v, 2) for k, v in recipe_scores(res, largest_m_table(res)).items()}
    {'ReLU 4×40, Adam+L-BFGS (double)': 3.3, 'ReLU 4×40, paper protocol': 3.7}
    """
    nets = _recipes_at_largest(results, table)
    exact = checks.cs_at_rounding(results)
    at_rounding = [(f, d) in exact for f, d in zip(nets["function"], nets["d"])]
    ranked = nets[[not x for x in at_rounding]] if not all(at_rounding) else nets
    score = ranked.groupby("method", sort=False)["× CS"].apply(lambda r: float(np.log10(r).mean()))
    return {label: float(score[label]) for label in score.sort_values().index}


def ranking_sentence(scores: dict[str, float]) -> str:
    """``"A (x× CS) < B (y× CS)"`` from :func:`recipe_scores`.

    >>> ranking_sentence({"A": 0.0, "B": 3.0})
    'A (1.00× CS) < B (1.00·10³× CS)'
    """
    return " < ".join(f"{label} ({number(10 ** s, 3)}× CS)" for label, s in scores.items())


def rounding_sentence(results: Results, table) -> str:
    """Where CS is exact to rounding: the problem is left out of the ranking, and
    how far the recipes get there; ``""`` where no problem is such."""
    cs = next(mt.label for mt in results.spec.methods if mt.kind == "cs")
    exact = checks.cs_at_rounding(results)
    apart = table[[(f, d) in exact for f, d in zip(table["function"], table["d"])]]
    labels = _recipe_labels(results)
    return " ".join(
        f"On `{fn}` in $d = {d}$ CS is exact to rounding ({number(g.loc[g['method'] == cs, 'error'].iloc[0])}), "
        f"so that problem is left out of the ranking; there the recipes reach "
        f"{span(g[g['method'].isin(labels)]['error'].min(), g[g['method'].isin(labels)]['error'].max())}, "
        "a measure of how far training gets from exact rather than a gap to a converging method."
        for (fn, d), g in apart.groupby(["function", "d"], sort=False))


def per_problem_sentence(results: Results, table) -> str:
    """Problem by problem: the paper protocol's factor to CS and the best recipe's.

    >>> res = _e8_example()
    >>> per_problem_sentence(res, largest_m_table(res))
    "`exp_cos` in $d = 8$ ($m = 300$): the paper's protocol is 5.00·10³ times CS's error, the best recipe, ReLU 4×40, Adam+L-BFGS (double), 2.00·10³ times (better by a factor 2.50)."
    """
    nets = _recipes_at_largest(results, table)
    base_label = _paper_protocol(results).label
    paper = nets[nets["method"] == base_label]
    sentences = []
    for _, row in nets.loc[nets.groupby(["function", "d"], sort=False)["error"].idxmin()].iterrows():
        base = paper[(paper["function"] == row["function"]) & (paper["d"] == row["d"])]
        base_text = f"the paper's protocol is {number(base['× CS'].iloc[0], 3)} times CS's error, " if len(base) else ""
        if len(base) and row["method"] == base_label:
            best_text = "and no other recipe does better"
        else:
            best_text = (f"the best recipe, {row['method']}, {number(row['× CS'], 3)} times"
                         + (f" (better by a factor {number(base['error'].iloc[0] / row['error'], 3)})"
                            if len(base) else ""))
        sentences.append(f"`{row['function']}` in $d = {row['d']}$ ($m = {tex_int(row['m'])}$): {base_text}{best_text}")
    return "; ".join(sentences) + "."


def closers(results: Results, table, close: float = CLOSE) -> dict[tuple[str, int], list[str]]:
    """Per problem, the recipes within a factor ``close`` of CS (sorted labels).

    >>> res = _e8_example()
    >>> closers(res, largest_m_table(res)), closers(res, largest_m_table(res), close=3000)
    ({('exp_cos', 8): []}, {('exp_cos', 8): ['ReLU 4×40, Adam+L-BFGS (double)']})
    """
    nets = _recipes_at_largest(results, table)
    return {(fn, d): sorted(g[g["× CS"] <= close]["method"]) for (fn, d), g in nets.groupby(["function", "d"], sort=False)}


def closed_sentence(results: Results, table, close: float = CLOSE) -> str:
    """Which problems have a recipe within ``close`` of CS, and on the others the closest.

    >>> res = _e8_example()
    >>> closed_sentence(res, largest_m_table(res))
    'On `exp_cos` in $d = 8$ (closest: ReLU 4×40, Adam+L-BFGS (double), 2.00·10³×), no recipe comes within a factor 2 of CS.'
    """
    nets = _recipes_at_largest(results, table)
    within = closers(results, table, close)
    closed = [f"`{fn}` in $d = {d}$ ({', '.join(c)})" for (fn, d), c in within.items() if c]

    def closest(fn: str, d: int) -> str:
        g = nets[(nets["function"] == fn) & (nets["d"] == d)]
        row = g.loc[g["× CS"].idxmin()]
        shown = number(row["× CS"], 3)
        at = "at the threshold, " if "·" not in shown and float(shown) == close else ""
        return f"{row['method']}, {at}{shown}×"

    not_closed = [f"`{fn}` in $d = {d}$ (closest: {closest(fn, d)})" for (fn, d), c in within.items() if not c]
    return ((f"On {' and '.join(closed)}, a recipe comes within a factor {close:g} of CS. " if closed else "")
            + (f"On {'; '.join(not_closed)}, no recipe comes within a factor {close:g} of CS."
               if not_closed else "Every problem has a recipe within that factor."))


def fit_vs_test(rows, *, where: str, constant: float) -> str:
    """Whether the recipe with the lowest training MSE among ``rows`` (columns
    ``method``, ``error``, ``training MSE``) also has the lowest test error;
    ``where`` names the point, ``constant`` is the best constant predictor's error.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"method": ["He", "tanh"], "error": [0.3, 5e-3], "training MSE": [2e-10, 1e-7]})
    >>> fit_vs_test(rows, where="on `f`", constant=0.25)
    "on `f` the lowest training MSE, 2.0·10⁻¹⁰, is He's, yet its test error, 0.30, is 60 times that of tanh — worse than the best constant predictor"
    """
    g = rows.dropna(subset=["training MSE"])
    fit, test = g.loc[g["training MSE"].idxmin()], g.loc[g["error"].idxmin()]
    head = f"{where} the lowest training MSE, {number(fit['training MSE'])}, is {fit['method']}'s"
    if fit["method"] == test["method"]:
        return head + ", which also has the lowest test error"
    worse = " — worse than the best constant predictor" if fit["error"] >= constant else ""
    ratio = number(fit["error"] / test["error"])
    versus = f"no better than that of {test['method']}" if ratio == "1.0" else f"{ratio} times that of {test['method']}"
    return head + f", yet its test error, {number(fit['error'])}, is {versus}{worse}"


def paper_fit_vs_test(results: Results, tables: dict) -> str:
    """:func:`fit_vs_test` over the recipes at each paper point (``tables``:
    ``(function, d, m) ->`` :func:`recipe_factors`), as one sentence; ``""`` for none.

    >>> res = _e8_example()
    >>> paper_fit_vs_test(res, {("exp_cos", 8, 300): recipe_factors(res, function="exp_cos", d=8, m=300)})
    "Training loss against test error, over the recipes: at `exp_cos`, $m = 300$ the lowest training MSE, 2.0·10⁻⁷, is ReLU 4×40, Adam+L-BFGS (double)'s, which also has the lowest test error."
    """
    labels = _recipe_labels(results)
    parts = [fit_vs_test(tab[tab["method"].isin(labels)], where=f"at `{fn}`, $m = {tex_int(m)}$",
                         constant=results.constant_error(fn, d)) for (fn, d, m), tab in tables.items()]
    return "Training loss against test error, over the recipes: " + "; ".join(parts) + "." if parts else ""


def fit_vs_test_sentence(results: Results, table) -> str:
    """:func:`fit_vs_test` for every problem of a :func:`largest_m_table`."""
    nets = _recipes_at_largest(results, table)
    return "; ".join(fit_vs_test(nets[(nets["function"] == fn) & (nets["d"] == d)], where=f"on `{fn}` in $d = {d}$",
                                 constant=results.constant_error(fn, d))
                     for fn, d in dict.fromkeys(zip(nets["function"], nets["d"]))) + "."


def below_sentence(results: Results) -> tuple[str, dict[str, list[tuple[str, int]]]]:
    """Whether every recipe learned the function (a factor
    :data:`~dnngap.experiments.checks.CONSTANT_FACTOR` below the best constant
    predictor at the largest ``m``), and the exceptions (label -> problems)."""
    below = {label: probs for label, probs in checks.below_constant(results).items() if probs}
    if not below:
        return ("every recipe's error is at least a factor "
                f"{checks.CONSTANT_FACTOR:g} below the best constant predictor's at the largest $m$ of every problem",
                below)
    return (f"not every recipe is a factor {checks.CONSTANT_FACTOR:g} below the best constant predictor at the "
            "largest $m$: " + "; ".join(f"{label} on {', '.join(f'`{fn}` ($d = {d}$)' for fn, d in probs)}"
                                        for label, probs in below.items()), below)



__all__ = ["CLOSE", "ONE_CHANGE", "below_sentence", "closed_sentence", "closers", "finetuned", "finetuned_brief", "finetuned_sentence",
           "fit_vs_test", "fit_vs_test_sentence", "largest_m_table", "paper_fit_vs_test", "paper_points", "per_problem_sentence", "ranking_sentence",
           "recipe_answer", "recipe_brief", "recipe_factors", "recipe_scores", "rounding_sentence"]
