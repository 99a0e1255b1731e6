"""Training recipes (dnngap.recipes) and E8 through the results store."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnngap import dnn, experiments, recipes
from dnngap.experiments import RecipeMethod, Store, catalog


def _data(trials: int, m: int = 40, d: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.uniform(-1, 1, (trials, m, d))
    return y, np.exp(-np.cos(y).sum(axis=2) / 4)


# -- registry and validation -------------------------------------------------
def test_recipes_are_registered_with_distinct_labels():
    assert recipes.available()[:8] == ["paper", "paper_double", "paper_long", "sgd", "adam_double", "adam_lbfgs",
                                       "tanh_lbfgs", "he_lbfgs"]
    assert set(catalog.E8_RECIPES) <= set(recipes.available())
    labels = [RecipeMethod(recipe=name).label for name in recipes.available()]
    assert len(set(labels)) == len(labels), labels
    assert RecipeMethod(recipe="adam_lbfgs").label == "ReLU 4×40, Adam+L-BFGS (double)"
    assert RecipeMethod(recipe="tanh_lbfgs").architecture().activation == "tanh"
    assert RecipeMethod(recipe="paper", budget=0.5).label.endswith("budget ×0.5")
    for name in recipes.available():
        assert recipes.get(name).summary and recipes.get(name).cost > 0


@pytest.mark.parametrize("fields, message", [
    ({"recipe": "sgd_forever"}, "recipe.recipe must be one of 'paper', 'paper_double'"),
    ({"depth": 0}, "recipe.depth must be an integer >= 1"),
    ({"width": 2.5}, "recipe.width must be an integer >= 1"),
    ({"activation": "swish"}, "recipe.activation must be one of"),
    ({"seed": -1}, "recipe.seed must be an integer >= 0"),
    ({"budget": -1.0}, "recipe.budget must be a finite number > 0"),
])
def test_recipe_method_validation_names_the_field(fields, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RecipeMethod(**fields)


def test_train_rejects_bad_arguments_naming_them():
    y, fy = _data(1)
    arch = dnn.Architecture(1, 4)
    with pytest.raises(ValueError, match="recipe must be one of 'paper'"):
        recipes.train("nope", arch, y, fy)
    with pytest.raises(ValueError, match="budget must be a positive number"):
        recipes.train("paper", arch, y, fy, budget=0)
    with pytest.raises(ValueError, match=r"f_values must have shape \(T, m\)"):
        recipes.train("paper", arch, y, fy[:, :5])
    with pytest.raises(ValueError, match="recipe 'paper' is already registered"):
        recipes.recipe("paper", title="x", summary="x", cost=1)


def test_overrides_choose_recipes_and_budget():
    spec = experiments.get("e8", "ci", recipes=["paper", "tanh_lbfgs"], budget=0.1)
    got = [(m.recipe, m.budget) for m in spec.methods if isinstance(m, RecipeMethod)]
    assert got == [("paper", 0.1), ("tanh_lbfgs", 0.1)]
    assert {m.kind for m in spec.methods} == {"cs", "existence", "recipe"}
    with pytest.raises(ValueError, match="recipe.recipe must be one of"):
        experiments.get("e8", "ci", recipes=["nope"])
    assert experiments.numerics_versions("recipe") == {"recipes": recipes.NUMERICS_VERSION,
                                                       "dnn": dnn.NUMERICS_VERSION, "data": 2}


def test_a_recipes_version_bump_recomputes_recipes_only(monkeypatch):
    def keys():
        return {u.method.label: u.key for u in experiments.get("e8", "smoke").units() if u.m == 40}

    before = keys()
    monkeypatch.setattr(recipes, "NUMERICS_VERSION", recipes.NUMERICS_VERSION + 1)
    after = keys()
    kinds = {m.label: m.kind for m in experiments.get("e8", "smoke").methods}
    assert {label for label in before if before[label] != after[label]} == {  # fine-tuning uses the recipes' stages
        label for label, kind in kinds.items() if kind in ("recipe", "finetune")}


# -- the numbers -------------------------------------------------------------
@pytest.mark.parametrize("name", ["adam_lbfgs", "paper"])
def test_a_trial_does_not_depend_on_the_others(name):
    """Trial 1 trained alone gives the numbers it gets trained among three trials."""
    y, fy = _data(3)
    arch = dnn.Architecture(1, 6, "tanh")
    together = recipes.train(name, arch, y, fy, seed=3, budget=0.02, device="cpu")
    alone = recipes.train(name, arch, y[1:2], fy[1:2], seed=3, budget=0.02, device="cpu")
    np.testing.assert_allclose(alone.losses, together.losses[1:2], rtol=1e-6)
    np.testing.assert_array_equal(alone.iterations, together.iterations[1:2])
    np.testing.assert_array_equal(alone.stop_reason, together.stop_reason[1:2])
    x = np.random.default_rng(1).uniform(-1, 1, (50, 2))
    np.testing.assert_allclose(alone.predict(x), together.predict(x)[1:2], rtol=1e-6, atol=1e-9)


def test_one_change_recipes_differ_from_the_paper_protocol_by_that_change():
    """paper_double: the same schedule in float64, so early on the same losses to float32
    rounding; paper_long: four times the epochs; sgd: another optimiser, other iterates."""
    y, fy = _data(2)
    arch = dnn.Architecture(1, 8, "relu")
    run = lambda name: recipes.train(name, arch, y, fy, seed=1, budget=0.002, device="cpu")
    paper, double, long, sgd = run("paper"), run("paper_double"), run("paper_long"), run("sgd")
    assert (paper.precision, double.precision) == ("single", "double")
    assert paper.adam_epochs.tolist() == double.adam_epochs.tolist() == [100, 100]
    np.testing.assert_allclose(double.losses, paper.losses, rtol=1e-3)
    assert long.adam_epochs.tolist() == [400, 400] and np.all(long.losses < paper.losses)
    assert sgd.adam_epochs.tolist() == [100, 100] and np.all(np.abs(sgd.losses / paper.losses - 1) > 1e-2)
    assert RecipeMethod("paper_long", budget=0.5).epoch_budget() == 100_000
    assert RecipeMethod("adam_lbfgs").epoch_budget() is None


def test_lbfgs_stage_converges_to_the_known_minimiser():
    """Targets made by the network a tanh(w y + b) + c with parameters theta*
    (identifiable: one hidden unit, 60 points): from a start near theta*,
    L-BFGS drives the loss to rounding level and returns theta*."""
    arch = dnn.Architecture(1, 1, "tanh", convention="paper")  # P = 4: w, b, a, c
    star = torch.tensor([[1.5, 0.3, 1.0, 0.2]], dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    x = torch.linspace(-1, 1, 60, dtype=torch.float64).reshape(1, 1, 60)
    target = recipes._forward(star, arch.layer_sizes(1), "tanh", x).detach()
    start = star + 0.05 * torch.randn(star.shape, generator=gen, dtype=torch.float64)
    stage = recipes.lbfgs_stage(start, x, target, arch, iterations=500)
    assert stage.losses[0] < 1e-26, stage.losses
    assert stage.stop_reason[0] == "converged" and stage.steps[0] < 100
    np.testing.assert_allclose(stage.parameters.numpy(), star.numpy(), atol=1e-10)


def test_adam_stage_lowers_every_trials_loss_and_keeps_the_best():
    y, fy = _data(2, m=30, d=1)
    arch = dnn.Architecture(1, 8, "tanh")
    x = torch.as_tensor(y.transpose(0, 2, 1).copy())
    target = torch.as_tensor(fy)
    theta = recipes.initial(arch, 1, 2, seed=0)
    start = recipes._losses(theta, arch.layer_sizes(1), "tanh", x, target).numpy()
    stage = recipes.adam_stage(theta, x, target, arch, epochs=200, lr0=1e-2, lr_final=1e-4)
    assert np.all(stage.losses < start / 10)
    again = recipes._losses(stage.parameters, arch.layer_sizes(1), "tanh", x, target).numpy()
    np.testing.assert_allclose(again, stage.losses, rtol=1e-12)
    assert list(stage.stop_reason) == ["epochs", "epochs"]


# -- E8 through the store ----------------------------------------------------
def test_e8_smoke_through_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DNNGAP_RESULTS", str(tmp_path))  # where the fine-tuned network keeps its trials meanwhile
    spec = experiments.get("e8", "smoke", budget=0.01, functions=["exp_cos"], m_values=[40], mc_points=500)
    store = Store(tmp_path)
    res = experiments.run(spec, store)
    assert res.complete
    recs = res.select(method_kind="recipe")
    assert {r["method"] for r in recs} == {m.label for m in spec.methods if m.kind == "recipe"}
    assert all(r["numerics"].startswith("recipes-v") and "stages" in r for r in recs)
    adam_lbfgs = res.select(method=RecipeMethod(recipe="adam_lbfgs", depth=1, width=10, budget=0.01).label)
    assert all(r["stages"]["adam"] == 10 and 1 <= r["stages"]["lbfgs"] <= 5 for r in adam_lbfgs)
    tuned = res.select(method_kind="finetune")  # the existence network trained further, never above its start
    assert len(tuned) == spec.trials and all(0 <= r["train_loss"] <= r["start_train_loss"] for r in tuned)
    assert all(r["stages"]["adam"] == 10 for r in tuned)  # the budget applies to it too
    assert not any((tmp_path / ".partial").glob("finetune-*"))  # its checkpoints dropped once stored
    (comparison,) = res.compare()
    assert comparison.dnn is not None and comparison.dnn.method in {r["method"] for r in recs}
    assert comparison.existence is not None and comparison.cs is not None
    again = experiments.load(spec, store)  # everything read back, nothing recomputed
    assert again.complete and len(again.records) == len(res.records)
