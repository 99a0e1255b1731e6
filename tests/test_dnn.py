"""Tests of dnngap.dnn and dnngap.mlp: architectures, initialisation, batched training, prediction.

The central check is a cross-check between two independent implementations:
the batched trainer (stacked weights, hand-written masked Adam) against one
``torch.nn.Sequential`` + ``torch.optim`` optimiser per trial
(``tests/reference_training.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from reference_training import sequential_model, train_sequential

from dnngap import _backward, dnn, mlp
from dnngap.dnn import (
    PRESETS,
    Architecture,
    TrainingConfig,
    initial_parameters,
    learning_rate,
    train,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Run this module on one thread and restore the setting afterwards.

    The networks here are tiny; on a shared machine, OpenMP threads waiting
    for each other on small operations make them many times slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _data(trials: int, m: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.uniform(-1.0, 1.0, (trials, m, d))
    f = np.exp(-np.cos(y).sum(axis=-1) / (8 * d)) + np.sin(3 * y[..., 0])
    return y, f


# --------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------


def test_hidden_layers_and_label_state_the_convention():
    code = Architecture(4, 40)
    paper = Architecture(4, 40, "tanh", "paper")
    assert code.hidden_layers == 5 and paper.hidden_layers == 4
    assert code.label == "ReLU 4×40 (code: 5 hidden layers)"
    assert paper.label == "tanh 4×40 (paper: 4 hidden layers)"
    assert Architecture(1, 10, "elu").label == "ELU 1×10 (code: 2 hidden layers)"
    assert code.layer_sizes(8) == (8, 40, 40, 40, 40, 40, 1)
    assert paper.layer_sizes(3) == (3, 40, 40, 40, 40, 1)


@pytest.mark.parametrize(
    ("architecture", "d", "expected"),
    [
        # 8->10->10->1: (8+1)*10 + (10+1)*10 + (10+1)*1
        (Architecture(1, 10), 8, 90 + 110 + 11),
        (Architecture(1, 10, convention="paper"), 8, 90 + 11),
        # 1->40 (x5 hidden) ->1: 2*40 + 4*41*40 + 41
        (Architecture(4, 40), 1, 80 + 4 * 41 * 40 + 41),
        # 16->100 (x11) ->1
        (Architecture(10, 100), 16, 17 * 100 + 10 * 101 * 100 + 101),
    ],
)
def test_parameter_count(architecture, d, expected):
    assert architecture.n_parameters(d) == expected
    # cross-check: the torch.nn reference model has the same number of parameters
    theta = torch.zeros(expected, dtype=torch.float64)
    model = sequential_model(architecture, d, theta)
    assert sum(p.numel() for p in model.parameters()) == expected


# --------------------------------------------------------------------------
# Configuration, schedule, validation
# --------------------------------------------------------------------------


def test_presets_and_overrides():
    single, double = TrainingConfig(), TrainingConfig(precision="double")
    assert (single.resolved_tol, single.resolved_epochs, single.dtype) == (5e-7, 50_000, torch.float32)
    assert (double.resolved_tol, double.resolved_epochs, double.dtype) == (5e-16, 200_000, torch.float64)
    assert PRESETS == {"single": (5e-7, 50_000), "double": (5e-16, 200_000)}
    cfg = TrainingConfig(precision="double", epochs=10, tol=1e-3)
    assert (cfg.resolved_epochs, cfg.resolved_tol) == (10, 1e-3)


def test_learning_rate_schedule():
    lr0, tol, epochs = 1e-3, 5e-7, 50_000
    i = np.arange(epochs + 1)
    lr = learning_rate(i, lr0=lr0, tol=tol, epochs=epochs)
    assert lr[0] == lr0
    assert lr[-1] == pytest.approx(tol, rel=1e-14)
    # geometric decay with ratio (tol/lr0)^(1/E)
    ratio = lr[1:] / lr[:-1]
    np.testing.assert_allclose(ratio, (tol / lr0) ** (1 / epochs), rtol=1e-12)
    assert learning_rate(epochs // 2, lr0=lr0, tol=tol, epochs=epochs) == pytest.approx(math.sqrt(lr0 * tol), rel=1e-14)


@pytest.mark.parametrize(
    ("make", "error", "name"),
    [
        (lambda: Architecture(1, 10, "swish"), ValueError, "activation"),
        (lambda: Architecture(1, 10, convention="both"), ValueError, "convention"),
        (lambda: Architecture(0, 10), ValueError, "depth"),
        (lambda: Architecture(1, -5), ValueError, "width"),
        (lambda: Architecture(1.0, 10), TypeError, "depth"),
        (lambda: Architecture(True, 10), TypeError, "depth"),
        (lambda: TrainingConfig(precision="half"), ValueError, "precision"),
        (lambda: TrainingConfig(optimizer="rmsprop"), ValueError, "optimizer"),
        (lambda: TrainingConfig(init="xavier"), ValueError, "init"),
        (lambda: TrainingConfig(tol=0.0), ValueError, "tol"),
        (lambda: TrainingConfig(tol=-1e-7), ValueError, "tol"),
        (lambda: TrainingConfig(epochs=0), ValueError, "epochs"),
        (lambda: TrainingConfig(lr0=0.0), ValueError, "lr0"),
        (lambda: TrainingConfig(sigma=-0.1), ValueError, "sigma"),
        (lambda: TrainingConfig(seed=-1), ValueError, "seed"),
        (lambda: TrainingConfig(history_stride=0), ValueError, "history_stride"),
        (lambda: TrainingConfig(same_init=1), TypeError, "same_init"),
    ],
)
def test_bad_configuration_names_the_parameter(make, error, name):
    with pytest.raises(error, match=name):
        make()


def test_bad_choice_lists_allowed_values():
    with pytest.raises(ValueError, match="'relu', 'elu', 'tanh', 'sigmoid', 'softplus'; got 'swish'"):
        Architecture(1, 10, "swish")


@pytest.mark.parametrize(
    ("y_shape", "f_shape", "mask", "name"),
    [
        ((2, 5), (2, 5), None, "y"),
        ((2, 5, 1), (2, 4), None, "f_values"),
        ((2, 5, 1), (5,), None, "f_values"),
        ((0, 5, 1), (0, 5), None, "y"),
        ((2, 5, 1), (2, 5), np.ones((2, 4), bool), "mask"),
        ((2, 5, 1), (2, 5), np.zeros((2, 5), bool), "mask"),
        ((2, 5, 1), (2, 5), np.ones((2, 5)), "mask"),
    ],
)
def test_bad_data_names_the_parameter(y_shape, f_shape, mask, name):
    cfg = TrainingConfig(epochs=1)
    with pytest.raises((ValueError, TypeError), match=name):
        train(Architecture(1, 2), cfg, np.zeros(y_shape), np.zeros(f_shape), mask=mask, progress=False)


def test_bad_arguments_of_train():
    y, f = _data(1, 4, 1)
    cfg = TrainingConfig(epochs=1)
    with pytest.raises(TypeError, match="architecture"):
        train((1, 10), cfg, y, f, progress=False)
    with pytest.raises(TypeError, match="config"):
        train(Architecture(1, 2), None, y, f, progress=False)
    with pytest.raises(ValueError, match="finite"):
        train(Architecture(1, 2), cfg, y, np.where(f > 0, np.nan, f), progress=False)
    with pytest.raises(ValueError, match="device"):
        train(Architecture(1, 2), cfg, y, f, device="tpu", progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            train(Architecture(1, 2), cfg, y, f, device="cuda", progress=False)
    res = train(Architecture(1, 2), cfg, y, f, progress=False)
    with pytest.raises(ValueError, match="points"):
        res.predict(np.zeros((3, 2)))


# --------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------


def test_initial_parameters_same_and_independent():
    arch = Architecture(2, 10)
    same = initial_parameters(arch, 3, TrainingConfig(precision="double"), 4)
    assert same.shape == (4, arch.n_parameters(3)) and same.dtype == torch.float64
    assert (same == same[0]).all()
    indep_cfg = TrainingConfig(precision="double", same_init=False)
    indep = initial_parameters(arch, 3, indep_cfg, 4)
    assert not torch.equal(indep[0], indep[1])
    # trial t's draw does not depend on the number of trials; trial 0 = the shared draw
    torch.testing.assert_close(initial_parameters(arch, 3, indep_cfg, 2), indep[:2], rtol=0, atol=0)
    torch.testing.assert_close(indep[0], same[0], rtol=0, atol=0)
    # single precision starts from the same weights, rounded
    single = initial_parameters(arch, 3, TrainingConfig(), 4)
    assert single.dtype == torch.float32
    assert torch.equal(single, same.to(torch.float32))
    # another seed, other weights
    other = initial_parameters(arch, 3, TrainingConfig(precision="double", seed=1), 1)
    assert not torch.equal(other[0], same[0])


def _segments(arch: Architecture, d: int, theta: torch.Tensor):
    views = mlp.layer_views(theta[None], arch.layer_sizes(d))
    return [(w[0], b[0, 0]) for w, b in views]


def test_initial_parameter_distributions():
    arch, d = Architecture(3, 100), 50
    n_params = arch.n_parameters(d)  # 45,501 weights and biases
    # normal: every weight and bias ~ N(0, sigma^2). The sample standard
    # deviation of n normals has relative standard error 1/sqrt(2n) < 0.4%;
    # 5% is a loose bound that still catches a wrong sigma.
    theta = initial_parameters(arch, d, TrainingConfig(precision="double", sigma=0.1), 1)[0]
    assert theta.numel() == n_params
    assert abs(theta.std().item() / 0.1 - 1) < 0.05
    assert abs(theta.mean().item()) < 5 * 0.1 / math.sqrt(n_params)
    # he: N(0, 2/n_in) weights, zero biases
    he = initial_parameters(arch, d, TrainingConfig(precision="double", init="he"), 1)[0]
    for (w, b), n_in in zip(_segments(arch, d, he), arch.layer_sizes(d)[:-1]):
        assert (b == 0).all()
        if w.numel() >= 1000:
            assert abs(w.std().item() / math.sqrt(2 / n_in) - 1) < 0.1
    # glorot: U(-a, a) weights, a = sqrt(6/(n_in+n_out)), zero biases
    gl = initial_parameters(arch, d, TrainingConfig(precision="double", init="glorot"), 1)[0]
    sizes = arch.layer_sizes(d)
    for (w, b), n_in, n_out in zip(_segments(arch, d, gl), sizes[:-1], sizes[1:]):
        a = math.sqrt(6 / (n_in + n_out))
        assert (b == 0).all() and w.abs().max().item() <= a
        if w.numel() >= 1000:  # uniform: max |w| close to a, std = a/sqrt(3)
            assert w.abs().max().item() > 0.99 * a
            assert abs(w.std().item() / (a / math.sqrt(3)) - 1) < 0.1


# --------------------------------------------------------------------------
# Batched training = one trial at a time
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "optimizer", "lr0", "same_init"),
    [
        ("relu", "adam", 1e-2, True),
        ("tanh", "adam", 1e-2, False),
        ("elu", "sgd", 0.3, False),
        ("softplus", "adam", 1e-2, True),
    ],
)
def test_batched_training_equals_sequential_reference(activation, optimizer, lr0, same_init):
    """Float64 losses of the batched trainer and of torch.optim on one network per trial."""
    y, f = _data(2, 20, 2)
    cfg = TrainingConfig(
        precision="double", epochs=1000, tol=1e-9, lr0=lr0, optimizer=optimizer, same_init=same_init, history_stride=5
    )
    arch = Architecture(1, 8, activation)
    batched = train(arch, cfg, y, f, device="cpu", progress=False)
    reference = train_sequential(arch, cfg, y, f, device="cpu")
    assert (batched.stop_reason == reference.stop_reason).all()
    np.testing.assert_array_equal(batched.epochs, reference.epochs)
    # The two differ only by rounding (bmm vs addmm, the order of Adam's
    # operations), amplified over 1000 steps; 1e-10 is the required agreement.
    np.testing.assert_allclose(batched.history, reference.history, rtol=1e-10)
    np.testing.assert_allclose(batched.losses, reference.losses, rtol=1e-10)
    scale = np.abs(reference.parameters).max()
    np.testing.assert_allclose(batched.parameters, reference.parameters, rtol=0, atol=1e-8 * scale)
    # the training actually moved: the loss fell substantially
    assert (batched.losses < 0.5 * batched.history[:, 0]).all()


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("activation", ["relu", "elu", "tanh", "sigmoid", "softplus"])
def test_hand_written_gradient_equals_autograd(activation, masked):
    """The backward pass of the trainer against autograd, in float64.

    Against an independent reference (one ``torch.nn.Sequential`` per trial,
    the loss of its selected samples) to rounding, and against autograd on
    the trainer's own forward pass (the same operations) to the bit.
    """
    rng = np.random.default_rng(4)
    arch, d, m, trials = Architecture(2, 7, activation), 3, 23, 3
    sizes = arch.layer_sizes(d)
    # weights ~ N(0, 1): every unit sees pre-activations of both signs
    theta = torch.as_tensor(rng.normal(size=(trials, arch.n_parameters(d))))
    y = rng.uniform(-1, 1, (trials, m, d))
    f = np.sin(3 * y[..., 0]) + y[..., 1] * y[..., 2]
    mask = rng.uniform(size=(trials, m)) < 0.6 if masked else np.ones((trials, m), bool)
    mask[:, 0] = True
    x, target = torch.as_tensor(y.transpose(0, 2, 1).copy()), torch.as_tensor(f)
    weight_mask = torch.as_tensor(mask, dtype=torch.float64) if masked else None
    count = weight_mask.sum(dim=1) if masked else None
    workspace = _backward.Workspace(sizes, activation, x, target, weight_mask, count)
    grad = torch.full_like(theta, math.nan)
    loss = workspace.loss_and_gradient(mlp.layer_views(theta, sizes), mlp.layer_views(grad, sizes))
    assert torch.isfinite(grad).all()  # every entry written

    for t in range(trials):
        model = sequential_model(arch, d, theta[t])
        sel = torch.as_tensor(mask[t])
        ref_loss = (model(torch.as_tensor(y[t])[sel]).squeeze(-1) - target[t][sel]).square().mean()
        ref_loss.backward()
        ref_grad = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        assert loss[t].item() == pytest.approx(ref_loss.item(), rel=1e-13)
        scale = ref_grad.abs().max().item()
        np.testing.assert_allclose(grad[t].numpy(), ref_grad.numpy(), rtol=1e-12, atol=1e-12 * scale)

    leaf = theta.clone().requires_grad_(True)
    residual = mlp.forward(mlp.layer_views(leaf, sizes), mlp.ACTIVATIONS_IN_PLACE[activation], x) - target
    if masked:
        auto_loss = (residual.square() * weight_mask).sum(dim=1) / count
    else:
        auto_loss = residual.square().mean(dim=1)
    (auto_grad,) = torch.autograd.grad(auto_loss.sum(), leaf)
    assert torch.equal(loss, auto_loss.detach())
    assert torch.equal(grad, auto_grad)


def test_stops_at_tolerance_exactly_and_mask_equals_separate_runs():
    """Trial 0 (3 samples) interpolates and stops; trial 1 (40 samples of a jump) cannot."""
    rng = np.random.default_rng(3)
    m = 40
    y = rng.uniform(-1, 1, (2, m, 1))
    f = np.sign(y[..., 0])
    f[0, :3] = [0.3, -0.2, 0.5]
    y[0, 3:], f[0, 3:] = 0.0, 0.0  # padding
    mask = np.ones((2, m), bool)
    mask[0, 3:] = False
    tol = 1e-6
    cfg = TrainingConfig(precision="double", epochs=400, tol=tol, lr0=0.1, history_stride=1)
    arch = Architecture(1, 10, "tanh")
    res = train(arch, cfg, y, f, mask=mask, progress=False)
    assert list(res.stop_reason) == ["tolerance", "epochs"]
    e = res.epochs[0]
    assert 0 < e < 300 and res.epochs[1] == 400
    hist = res.history[0]
    assert hist[e] <= tol and (hist[:e] > tol).all()  # stopped at the first epoch below tol
    assert np.isnan(hist[e + 1 :]).all()  # and took no further steps
    assert res.losses[0] == hist[e] == np.nanmin(hist)
    assert res.losses[1] == np.nanmin(res.history[1]) > tol
    # Trial 0 alone, unmasked: the same numbers up to the rounding of summing
    # 40 (37 zero) instead of 3 terms in the loss and its gradient.
    alone = train(arch, cfg, y[:1, :3], f[:1, :3], progress=False)
    assert alone.epochs[0] == e and alone.stop_reason[0] == "tolerance"
    np.testing.assert_allclose(alone.history[0, : e + 1], hist[: e + 1], rtol=1e-10)
    # and the sequential reference agrees on the exact stopping epoch
    reference = train_sequential(arch, cfg, y[:1, :3], f[:1, :3])
    assert reference.epochs[0] == e and reference.stop_reason[0] == "tolerance"


def test_divergence_marks_only_the_affected_trial():
    """Trial 1's inputs are scaled by 1000, so gradient descent with lr 0.1 blows up in float32.

    (ELU rather than ReLU: a ReLU network can instead die, all units
    inactive, and stop moving; with ELU it diverges for every seed tried.)
    """
    y, f = _data(3, 10, 1, seed=1)
    y[1] *= 1000.0
    cfg = TrainingConfig(precision="single", epochs=400, tol=1e-3, lr0=0.1, optimizer="sgd", history_stride=1)
    arch = Architecture(1, 10, "elu")
    res = train(arch, cfg, y, f, progress=False)
    assert list(res.stop_reason) == ["epochs", "diverged", "epochs"]
    e = res.epochs[1]
    assert e > 0  # it diverged during training, not at the start
    assert not np.isfinite(res.history[1, e]) and np.isfinite(res.history[1, :e]).all()
    assert np.isnan(res.history[1, e + 1 :]).all()
    assert np.isfinite(res.losses[1]) and res.losses[1] == np.min(res.history[1, :e])
    assert np.isfinite(res.parameters[1]).all()
    # the other trials are unaffected: identical to training them without trial 1
    others = train(arch, cfg, y[[0, 2]], f[[0, 2]], progress=False)
    # Each trial's matmuls are independent of the others (bitwise equal here);
    # 1e-6 leaves room for float32 rounding should the batched matmul split
    # work differently for 2 and 3 trials.
    np.testing.assert_allclose(res.history[[0, 2]], others.history, rtol=1e-6)
    np.testing.assert_allclose(res.losses[[0, 2]], others.losses, rtol=1e-6)
    assert (res.losses[[0, 2]] < 0.5 * res.history[[0, 2], 0]).all()


def test_infinite_initial_loss_diverges_at_epoch_zero():
    y, f = _data(2, 10, 1)
    f[1] = 1e20  # (1e20)^2 overflows float32
    cfg = TrainingConfig(precision="single", epochs=150, tol=1e-8)
    res = train(Architecture(1, 5), cfg, y, f, progress=False)
    assert list(res.stop_reason) == ["epochs", "diverged"]
    assert res.epochs[1] == 0 and res.losses[1] == math.inf
    # frozen at (and predicting with) the initial weights
    np.testing.assert_array_equal(res.parameters[1], initial_parameters(Architecture(1, 5), 1, cfg, 1)[0].numpy())


def test_same_seed_same_numbers_and_same_init_semantics():
    y, f = _data(3, 15, 2)
    cfg = TrainingConfig(precision="single", epochs=150, tol=1e-7, history_stride=10)
    arch = Architecture(2, 6, "sigmoid")
    a = train(arch, cfg, y, f, progress=False)
    b = train(arch, cfg, y, f, progress=False)
    np.testing.assert_array_equal(a.history, b.history)
    np.testing.assert_array_equal(a.parameters, b.parameters)
    c = train(arch, TrainingConfig(precision="single", epochs=150, tol=1e-7, history_stride=10, seed=1), y, f, progress=False)
    assert not np.array_equal(a.losses, c.losses)
    # identical data in every trial: shared initial weights give identical trials
    same_y, same_f = np.repeat(y[:1], 3, axis=0), np.repeat(f[:1], 3, axis=0)
    shared = train(arch, cfg, same_y, same_f, progress=False)
    np.testing.assert_array_equal(shared.history, np.repeat(shared.history[:1], 3, axis=0))
    cfg_indep = TrainingConfig(precision="single", epochs=150, tol=1e-7, history_stride=10, same_init=False)
    indep = train(arch, cfg_indep, same_y, same_f, progress=False)
    assert len(set(indep.history[:, 0])) == 3


# --------------------------------------------------------------------------
# Results and prediction
# --------------------------------------------------------------------------


def test_result_fields_and_predict_reproduces_best_loss():
    y, f = _data(3, 30, 2)
    cfg = TrainingConfig(precision="double", epochs=250, tol=1e-12, lr0=1e-2, history_stride=50)
    res = train(Architecture(2, 12, "elu"), cfg, y, f, progress=False)
    np.testing.assert_array_equal(res.history_epochs, [0, 50, 100, 150, 200, 250])
    assert res.history.shape == (3, 6) and res.parameters.shape == (3, Architecture(2, 12).n_parameters(2))
    assert res.trials == 3 and res.epochs.dtype.kind == "i"
    assert res.device.startswith("cuda" if torch.cuda.is_available() else "cpu")
    assert res.wall_time > 0
    # the best loss is the lowest recorded, and no larger than the final one
    assert (res.losses <= np.nanmin(res.history, axis=1)).all()
    for t in range(3):
        pred = res.predict(y[t])
        assert pred.shape == (3, 30) and pred.dtype == np.float64
        mse = np.mean((pred[t] - f[t]) ** 2)
        # same network on shared instead of per-trial points: rounding only
        assert mse == pytest.approx(res.losses[t], rel=1e-12)
    points = np.random.default_rng(9).uniform(-1, 1, (101, 2))
    np.testing.assert_allclose(res.predict(points, chunk_size=7), res.predict(points), rtol=1e-14, atol=1e-15)


def test_predict_single_precision_returns_float64():
    y, f = _data(2, 10, 3)
    res = train(Architecture(1, 4), TrainingConfig(epochs=5), y, f, progress=False)
    assert res.parameters.dtype == np.float32
    out = res.predict(np.zeros((4, 3)))
    assert out.dtype == np.float64 and out.shape == (2, 4)


def test_progress_bar_switch(capsys):
    y, f = _data(2, 10, 1)
    cfg = TrainingConfig(epochs=200)
    train(Architecture(1, 4), cfg, y, f, progress=False)
    assert capsys.readouterr().err == ""
    train(Architecture(1, 4), cfg, y, f, progress=True)
    assert "ReLU 1×4" in capsys.readouterr().err


def test_track_final_keeps_the_best_iterate_and_adds_the_final_and_the_authors():
    """The final iterate is theta_E (its loss is the last recorded one), the
    authors' pick is no worse than the final one and no better than the best,
    and tracking changes nothing else."""
    rng = np.random.default_rng(3)
    y = rng.uniform(-1, 1, (3, 30, 2))
    fy = np.exp(-np.cos(y).sum(axis=-1) / 16)
    cfg = dnn.TrainingConfig(epochs=400, tol=1e-12, history_stride=400)
    arch = dnn.Architecture(1, 8, "relu")
    plain = dnn.train(arch, cfg, y, fy, device="cpu", progress=False)
    tracked = dnn.train(arch, cfg, y, fy, device="cpu", progress=False, track_final=True)
    np.testing.assert_array_equal(plain.parameters, tracked.parameters)
    assert plain.final_parameters is None and (plain.stop_reason == "epochs").all()

    def mse(which):
        return ((tracked.predict(y.reshape(-1, 2), iterate=which).reshape(3, 3, 30)[np.arange(3), np.arange(3)]
                 - fy) ** 2).mean(axis=1)

    np.testing.assert_allclose(mse("final"), tracked.history[:, -1], rtol=1e-4)
    assert not np.array_equal(tracked.final_parameters, tracked.parameters)
    assert (mse("best") <= mse("authors") * (1 + 1e-5)).all()
    assert (mse("authors") <= mse("final") * (1 + 1e-5)).all()
    with pytest.raises(ValueError, match="track_final=True"):
        plain.predict(y[0], iterate="final")
    with pytest.raises(ValueError, match="iterate"):
        tracked.predict(y[0], iterate="last")


def test_track_final_is_the_best_iterate_for_a_trial_stopped_by_the_tolerance():
    rng = np.random.default_rng(4)
    y = rng.uniform(-1, 1, (2, 10, 1))
    cfg = dnn.TrainingConfig(precision="double", epochs=3000, tol=1e-3, lr0=1e-2)
    res = dnn.train(dnn.Architecture(1, 10, "tanh"), cfg, y, np.sin(y[..., 0]), device="cpu", progress=False,
                    track_final=True)
    assert (res.stop_reason == "tolerance").all()
    np.testing.assert_array_equal(res.final_parameters, res.parameters)
    np.testing.assert_array_equal(res.authors_parameters, res.parameters)
