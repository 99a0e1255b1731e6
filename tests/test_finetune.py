"""Fine-tuning the existence network (dnngap.existence.finetune): the trainable
sparse network is the constructed one, its gradient is exact, and training
behaves as the recipes' stages promise."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from dnngap import existence, polynomials
from dnngap.existence.finetune import SparseNetwork, _output_columns, finetune
from dnngap.experiments import FinetuneMethod, get


def _problem(s=10, trials=2, m=40, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.uniform(-1, 1, (trials, m, 2))
    f = np.exp(y[..., 0]) * np.cos(y[..., 1])
    fit = existence.fit_existence_network(y, f, polynomials.hyperbolic_cross(2, 8), s=s)
    return y, f, fit


def _network(fit, device="cpu"):
    return SparseNetwork(fit.features.network.layers[:-1], _output_columns(fit.features.network), device=device)


def _dense_loss(net, theta, x, target):
    """The same network with dense weight matrices, differentiated by autograd."""
    h = x
    for pattern, values, bias in net._layers(theta):
        rows = torch.repeat_interleave(torch.arange(pattern.shape[0]), torch.diff(pattern.crow))
        W = torch.zeros(pattern.shape, dtype=torch.float64).index_put((rows, pattern.col), values)
        h = W @ h + bias[:, None]
        if pattern.activation == "relu":
            h = torch.relu(h)
    return (h[0] - target).square().mean()


def test_initial_parameters_are_the_constructed_network():
    y, f, fit = _problem()
    net = _network(fit)
    x = np.random.default_rng(1).uniform(-1, 1, (300, 2))
    for t in range(2):
        theta = net.parameters_of(fit.network(t).layers)
        assert len(theta) == net.n_parameters
        ours = net(torch.as_tensor(theta), torch.as_tensor(np.ascontiguousarray(x.T))).numpy()
        np.testing.assert_allclose(ours, fit.predict(x)[t], rtol=0, atol=1e-12)
        np.testing.assert_allclose(net.network(theta)(x)[:, 0], ours, rtol=0, atol=1e-12)


def test_gradient_equals_dense_autograd():
    y, f, fit = _problem()
    net = _network(fit)
    x, target = torch.as_tensor(np.ascontiguousarray(y[0].T)), torch.as_tensor(f[0])
    theta = torch.as_tensor(net.parameters_of(fit.network(0).layers))
    theta = theta + 1e-3 * torch.randn(theta.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    loss, grad = net.value_and_grad(x, target)(theta[None])
    dense = theta.clone().requires_grad_(True)
    ref = _dense_loss(net, dense, x, target)
    ref.backward()
    assert float(loss[0]) == pytest.approx(float(ref.detach()), rel=1e-12)
    assert float(grad.abs().max()) > 1e-6  # a gradient that is not trivially zero
    np.testing.assert_allclose(grad[0].numpy(), dense.grad.numpy(), rtol=0, atol=1e-12 * float(grad.abs().max()))


def test_training_lowers_the_loss_of_a_coarse_emulation():
    # with 4 sawtooth levels the emulated features are off by about 1e-3: training every
    # layer can fit the samples better than the constructed network does
    y, f, fit = _problem(s=4)
    res = finetune(fit, y, f, budget=0.05, device="cpu")
    assert np.all(res.losses < 0.5 * res.initial_losses)
    assert res.adam_epochs.tolist() == [50, 50] and np.all(res.evaluations >= 51)
    # the reported losses are the training MSE of the returned networks
    mse = ((res.predict(y.reshape(-1, 2)).reshape(2, 2, -1)[np.arange(2), np.arange(2)] - f) ** 2).mean(axis=1)
    np.testing.assert_allclose(mse, res.losses, rtol=1e-9)
    start = ((fit.predict(y.reshape(-1, 2)).reshape(2, 2, -1)[np.arange(2), np.arange(2)] - f) ** 2).mean(axis=1)
    np.testing.assert_allclose(start, res.initial_losses, rtol=1e-9)


def test_predict_does_not_depend_on_the_chunk_size():
    y, f, fit = _problem(s=4)
    res = finetune(fit, y, f, budget=0.01, device="cpu")
    x = np.random.default_rng(2).uniform(-1, 1, (1000, 2))
    default = res.predict(x)
    assert default.shape == (2, 1000) and not np.array_equal(default[0], default[1])
    for chunk in (1, 7, 256, 4096):
        np.testing.assert_array_equal(res.predict(x, chunk_size=chunk), default)
    with pytest.raises(ValueError, match="chunk_size"):
        res.predict(x, chunk_size=0)


def test_predict_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    y, f, fit = _problem(s=4)
    res = finetune(fit, y, f, budget=0.01, device="cpu", checkpoint=tmp_path)
    x = np.random.default_rng(3).uniform(-1, 1, (500, 2))
    values = res.predict(x)
    assert len(list(tmp_path.glob("predict_*.npy"))) == 1
    again = finetune(fit, y, f, budget=0.01, device="cpu", checkpoint=tmp_path)  # trials read back

    def fail(*args, **kwargs):
        raise AssertionError("evaluated again")

    monkeypatch.setattr(SparseNetwork, "__call__", fail)
    np.testing.assert_array_equal(again.predict(x), values)
    with pytest.raises(AssertionError, match="evaluated again"):  # other points, or other parameters
        again.predict(x[:-1])
    changed = dataclasses.replace(again, parameters=again.parameters + 1e-3)
    with pytest.raises(AssertionError, match="evaluated again"):
        changed.predict(x)


def test_trials_are_independent():
    y, f, fit = _problem(s=4)
    both = finetune(fit, y, f, budget=0.02, device="cpu")
    one = existence.fit_existence_network(y[1:], f[1:], polynomials.hyperbolic_cross(2, 8), s=4)
    alone = finetune(one, y[1:], f[1:], budget=0.02, device="cpu")
    np.testing.assert_allclose(both.parameters[1], alone.parameters[0], rtol=0, atol=1e-12)


def test_bad_input_is_named():
    y, f, fit = _problem(trials=1)
    with pytest.raises(TypeError, match="fit must be"):
        finetune("fit", y, f)
    with pytest.raises(ValueError, match="budget"):
        finetune(fit, y, f, budget=0)
    with pytest.raises(ValueError, match="trials of fit"):
        finetune(fit, np.concatenate([y, y]), np.concatenate([f, f]))
    repu = existence.fit_existence_network(y, f, polynomials.hyperbolic_cross(2, 4), s=None, activation="repu")
    with pytest.raises(ValueError, match="ReLU"):
        finetune(repu, y, f)
    net = _network(fit)
    other = _problem(s=5, trials=1)[2]
    with pytest.raises(ValueError, match="pattern|shapes"):
        net.parameters_of(other.network(0).layers)


def test_device_auto_matches_cpu():
    # on a machine with CUDA this runs the sparse kernels there (tools/gpu_session.sh runs this file)
    y, f, fit = _problem(trials=1)
    cpu, auto = _network(fit, "cpu"), _network(fit, "auto")
    assert (auto.device.type == "cuda") == torch.cuda.is_available()
    theta = cpu.parameters_of(fit.network(0).layers)
    x, target = np.ascontiguousarray(y[0].T), f[0]
    results = [net.value_and_grad(torch.as_tensor(x, device=net.device), torch.as_tensor(target, device=net.device))(
        torch.as_tensor(theta, device=net.device)[None]) for net in (cpu, auto)]
    np.testing.assert_allclose(results[1][1].cpu().numpy(), results[0][1].numpy(), rtol=0, atol=1e-13)


def test_method_is_in_e8_paper_and_smoke_not_ci():
    assert {FinetuneMethod(n_max=300), FinetuneMethod(n_max=2000)} <= set(get("e8", "paper").methods)
    assert FinetuneMethod(n_max=300).size(8) < FinetuneMethod(n_max=2000).size(8)
    assert not any(m.kind == "finetune" for m in get("e8", "ci").methods)
    smoke = get("e8", "smoke")
    tuned = next(m for m in smoke.methods if m.kind == "finetune")
    assert tuned.start().label == next(m.label for m in smoke.methods if m.kind == "existence")
    assert FinetuneMethod().size(8) > 10**6  # about 10^6 non-zeros and their biases


def test_checkpoint_resumes_from_the_trial_in_flight(tmp_path, monkeypatch):
    from dnngap.existence import finetune as module

    y, f, fit = _problem(s=4)
    calls = []
    real = module._train_trial

    def interrupted(network, theta0, yt, ft, budget):
        if len(calls) == 1:
            raise KeyboardInterrupt  # the session ends during trial 1
        calls.append(1)
        return real(network, theta0, yt, ft, budget)

    monkeypatch.setattr(module, "_train_trial", interrupted)
    with pytest.raises(KeyboardInterrupt):
        finetune(fit, y, f, budget=0.02, device="cpu", checkpoint=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial_0.npz"]
    counted = []
    monkeypatch.setattr(module, "_train_trial", lambda *a: counted.append(1) or real(*a))
    resumed = finetune(fit, y, f, budget=0.02, device="cpu", checkpoint=tmp_path)
    assert len(counted) == 1  # trial 0 loaded, trial 1 trained
    fresh = finetune(fit, y, f, budget=0.02, device="cpu")
    np.testing.assert_array_equal(resumed.parameters, fresh.parameters)
    assert resumed.stop_reason.tolist() == fresh.stop_reason.tolist()
    # another budget: nothing saved applies, both trials are trained again
    counted.clear()
    finetune(fit, y, f, budget=0.03, device="cpu", checkpoint=tmp_path)
    assert len(counted) == 2


def test_method_keeps_trials_until_the_unit_is_done(tmp_path, monkeypatch):
    monkeypatch.setenv("DNNGAP_RESULTS", str(tmp_path))
    method = FinetuneMethod(n_max=10, budget=0.01)
    y = np.random.default_rng(0).uniform(-1, 1, (2, 10, 1))
    folder = method.checkpoint_folder(y, np.exp(y[..., 0]))
    assert folder.parent == tmp_path / ".partial"
    assert folder != FinetuneMethod(n_max=10, budget=0.02).checkpoint_folder(y, np.exp(y[..., 0]))
    _, info = method.fit(y, np.exp(y[..., 0]), device="cpu")
    assert folder.exists()  # kept until the unit's records are computed ...
    info["release"]()
    assert not folder.exists()  # ... which the runner says by calling this
