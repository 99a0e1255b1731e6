"""The sequential reference of :func:`dnngap.dnn.train`: the trials one at a time, with ``torch.optim``.

Same protocol as :func:`dnngap.dnn.train` (same initial parameters,
learning-rate schedule, stopping rules and best-weight checkpointing),
written plainly: one ``torch.nn.Sequential`` of ``torch.nn.Linear`` layers
per trial, :class:`torch.optim.Adam` (or :class:`torch.optim.SGD`), and a
host-side check of the loss every epoch. An independent implementation, used
by ``tests/test_dnn.py`` to test the batched trainer and by
``benchmarks/dnn.py`` as its baseline (which puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from dnngap import mlp
from dnngap._validation import check_samples
from dnngap.dnn import ADAM_BETAS, ADAM_EPS, TrainingConfig, TrainingResult, initial_parameters, learning_rate
from dnngap.mlp import Architecture

__all__ = ["sequential_model", "train_sequential"]

_MODULES = {
    "relu": torch.nn.ReLU,
    "elu": torch.nn.ELU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "softplus": torch.nn.Softplus,
}


def sequential_model(architecture: Architecture, d: int, theta: torch.Tensor) -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` of ``nn.Linear`` layers holding flat parameters ``theta (P,)``.

    Examples
    --------
    >>> model = sequential_model(Architecture(1, 3, "tanh"), 2, torch.zeros(25, dtype=torch.float64))
    >>> [type(layer).__name__ for layer in model]
    ['Linear', 'Tanh', 'Linear', 'Tanh', 'Linear']
    """
    sizes = architecture.layer_sizes(d)
    modules: list[torch.nn.Module] = []
    pos = 0
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = torch.nn.Linear(n_in, n_out, dtype=theta.dtype, device=theta.device)
        with torch.no_grad():
            layer.weight.copy_(theta[pos : pos + n_in * n_out].view(n_out, n_in))
            pos += n_in * n_out
            layer.bias.copy_(theta[pos : pos + n_out])
            pos += n_out
        modules.append(layer)
        if k < len(sizes) - 2:
            modules.append(_MODULES[architecture.activation]())
    return torch.nn.Sequential(*modules)


def _flatten(model: torch.nn.Sequential) -> torch.Tensor:
    """The model's parameters as one flat vector, in the layout of :mod:`dnngap.mlp`."""
    parts = []
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            parts += [layer.weight.detach().reshape(-1), layer.bias.detach()]
    return torch.cat(parts)


def _optimizer(model: torch.nn.Module, config: TrainingConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr0, betas=ADAM_BETAS, eps=ADAM_EPS, foreach=False)
    return torch.optim.SGD(model.parameters(), lr=config.lr0, foreach=False)


def train_sequential(
    architecture: Architecture,
    config: TrainingConfig,
    y: np.ndarray,
    f_values: np.ndarray,
    *,
    device: str | torch.device = "cpu",
) -> TrainingResult:
    """Train the trials one at a time with ``torch.optim``; the arguments of :func:`dnngap.dnn.train`.

    Examples
    --------
    >>> y = np.linspace(-1, 1, 6).reshape(1, 6, 1)
    >>> cfg = TrainingConfig(precision="double", epochs=3)
    >>> res = train_sequential(Architecture(1, 4), cfg, y, y[..., 0] ** 2)
    >>> res.epochs.tolist(), res.stop_reason.tolist()
    ([3], ['epochs'])
    """
    y, f_values, _ = check_samples(y, f_values)
    dev = mlp.resolve_device(device)
    started = time.perf_counter()
    n_trials, m, d = y.shape
    n_epochs, tol = config.resolved_epochs, config.resolved_tol
    stride = config.history_stride
    n_history = n_epochs // stride + 1
    theta0 = initial_parameters(architecture, d, config, n_trials).to(dev)
    losses = np.full(n_trials, math.inf)
    epochs = np.full(n_trials, n_epochs)
    reasons = np.full(n_trials, "epochs", dtype=object)
    history = np.full((n_trials, n_history), math.nan)
    best = theta0.clone()
    for t in range(n_trials):
        model = sequential_model(architecture, d, theta0[t])
        opt = _optimizer(model, config)
        x = torch.as_tensor(y[t], dtype=config.dtype, device=dev)
        target = torch.as_tensor(f_values[t], dtype=config.dtype, device=dev)
        for epoch in range(n_epochs + 1):
            opt.zero_grad(set_to_none=True)
            loss = (model(x).squeeze(-1) - target).square().mean()
            value = loss.item()
            if epoch % stride == 0:
                history[t, epoch // stride] = value
            if value < losses[t]:
                losses[t] = value
                best[t] = _flatten(model)
            if value <= tol:
                epochs[t], reasons[t] = epoch, "tolerance"
                break
            if not math.isfinite(value):
                epochs[t], reasons[t] = epoch, "diverged"
                break
            if epoch == n_epochs:
                break
            loss.backward()
            for group in opt.param_groups:
                group["lr"] = learning_rate(epoch, lr0=config.lr0, tol=tol, epochs=n_epochs)
            opt.step()
    return TrainingResult(
        architecture=architecture,
        config=config,
        d=d,
        losses=losses,
        epochs=epochs,
        stop_reason=reasons.astype(str),
        history=history,
        history_epochs=np.arange(n_history) * stride,
        parameters=best.cpu().numpy(),
        wall_time=time.perf_counter() - started,
        device=mlp.device_description(dev),
        _torch_device=str(dev),
    )
