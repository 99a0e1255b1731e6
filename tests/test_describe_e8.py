"""E8's sentences (dnngap.experiments.describe): they follow the data, and say
the opposite when the data say the opposite."""

import dataclasses

from dnngap.experiments import describe
from dnngap.experiments.records import Results


def _scaled(results: Results, method_kind: str, factor: float, recipe: str | None = None) -> Results:
    """The example with one method's errors multiplied by ``factor``."""
    labels = {m.label for m in results.spec.methods
              if m.kind == method_kind and (recipe is None or getattr(m, "recipe", None) == recipe)}
    records = [r | {"rel_l2": r["rel_l2"] * factor} if r["method"] in labels else r for r in results.records]
    return Results(results.spec, records)


def _answer(results: Results) -> str:
    table = describe.recipe_factors(results, function="exp_cos", d=8, m=300, resamples=200)
    return describe.recipe_answer(results, table, function="exp_cos", m=300)


def test_the_answer_names_the_best_recipe_or_none():
    res = describe._e8_example()
    assert "the best recipe, ReLU 4×40, Adam+L-BFGS (double)" in _answer(res)
    # Adam+L-BFGS ten times worse: the paper protocol is the best recipe, and the text says so
    worse = _scaled(res, "recipe", 10.0, recipe="adam_lbfgs")
    assert _answer(worse).endswith("and no recipe does better")


def test_the_factors_are_paired_by_trial():
    res = describe._e8_example()
    table = describe.recipe_factors(res, function="exp_cos", d=8, m=300, resamples=200).set_index("method")
    # CS and the existence network vary alike over the trials: their ratio is exactly 3 in every trial
    exist = next(m.label for m in res.spec.methods if m.kind == "existence")
    assert table.loc[exist, ["factor", "low", "high"]].round(9).tolist() == [3.0, 3.0, 3.0]
    assert table["training MSE"].isna().sum() == 2  # CS and the constructed network have no training MSE


def test_finetuned_verdicts_follow_the_interval():
    res = describe._e8_example()
    assert "worsened the test error by a factor 1.10" in describe.finetuned_sentence(describe.finetuned(res))
    better = _scaled(res, "finetune", 0.5)  # half the constructed network's error, in every trial
    text = describe.finetuned_sentence(describe.finetuned(better))
    assert "improved the test error by a factor 1.82" in text  # 3e-6 / 1.65e-6
    # one trial better, one worse: the interval holds 1, the network is "kept"
    mixed = [r | {"rel_l2": r["rel_l2"] * (0.9, 1.0, 1.1)[r["trial"]] / 1.1} if r["method_kind"] == "finetune" else r
             for r in res.records]
    assert " kept the test error (factor" in describe.finetuned_sentence(describe.finetuned(Results(res.spec, mixed)))


def test_finetuned_needs_both_networks_stored():
    res = describe._e8_example()
    without_start = Results(res.spec, [r for r in res.records if r["method_kind"] != "existence"])
    assert describe.finetuned(without_start).empty
    without_cs = Results(res.spec, [r for r in res.records if r["method_kind"] != "cs"])
    row = describe.finetuned(without_cs).iloc[0]
    assert row["× CS"] != row["× CS"] and "CS's" not in describe.finetuned_sentence(describe.finetuned(without_cs))
    spec = dataclasses.replace(res.spec, methods=tuple(m for m in res.spec.methods if m.kind != "finetune"))
    assert describe.finetuned(Results(spec, [r for r in res.records if r["method_kind"] != "finetune"])).empty
