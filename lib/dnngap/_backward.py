"""The backward pass of :func:`dnngap.dnn.train`, written out.

:class:`Workspace` computes the loss and gradient of ``T`` networks, each on
its own samples, into preallocated buffers with the kernels torch's autograd
runs (so the gradients are autograd's to the bit) but without its graph: the
paper's protocol trains 50,000 epochs of small networks, where autograd's
per-call overhead would dominate. ``tests/test_dnn.py`` checks it against
autograd.
"""

from __future__ import annotations

import torch

from dnngap import mlp

__all__ = ["Workspace"]

_aten = torch.ops.aten
# Derivatives of the activations for the hand-written backward of train:
# derivative(grad, h, z) multiplies grad (T, N, m) in place by sigma'(z),
# given the activation's output h = sigma(z) and, where the derivative needs
# it (softplus), its input z. They are the kernels torch's autograd runs for
# the functions of mlp.ACTIVATIONS_IN_PLACE, so the gradients are autograd's to the bit.
_DERIVATIVES = {
    "relu": lambda grad, h, z: _aten.threshold_backward.grad_input(grad, h, 0, grad_input=grad),
    "elu": lambda grad, h, z: _aten.elu_backward.grad_input(grad, 1.0, 1, 1, True, h, grad_input=grad),
    "tanh": lambda grad, h, z: _aten.tanh_backward.grad_input(grad, h, grad_input=grad),
    "sigmoid": lambda grad, h, z: _aten.sigmoid_backward.grad_input(grad, h, grad_input=grad),
    "softplus": lambda grad, h, z: _aten.softplus_backward.grad_input(grad, z, 1, 20, grad_input=grad),
}
# Activations whose derivative needs the input z: train writes h = sigma(z)
# to another buffer (the same kernel as F.softplus).
_OUT_OF_PLACE = {"softplus": lambda z, h: _aten.softplus.out(z, 1, 20, out=h)}

class Workspace:
    r"""Loss and gradient of ``T`` networks on their own samples, in preallocated buffers.

    The backward pass is written out (no autograd): for the output layer
    :math:`\Phi = w h_H + b` and the residual :math:`r = \Phi - f`,

    .. math::

        g = \frac{\partial \mathcal{L}_t}{\partial \Phi} = \frac{2 r}{m_t}
        \ (\text{times the mask}), \quad
        \nabla_w = \textstyle\sum_i g_i h_{H,i}, \quad
        \nabla_b = \textstyle\sum_i g_i, \quad
        \delta_H = w^\top g,

    then for each hidden layer :math:`h_k = \sigma(z_k)`,
    :math:`z_k = W_k h_{k-1} + b_k` (:math:`h_0 = x`), from the last to the first:
    :math:`\delta \leftarrow \delta \odot \sigma'(z_k)`,
    :math:`\nabla_{W_k} = \delta h_{k-1}^\top`,
    :math:`\nabla_{b_k} = \sum_i \delta_{\cdot i}` and
    :math:`\delta \leftarrow W_k^\top \delta` (not needed for the first
    layer). These are the products and sums autograd computes for
    :meth:`loss`, in the same order, and :data:`_DERIVATIVES` are autograd's
    kernels, so the gradients are autograd's, on the CPU to the bit
    (``tests/test_dnn.py`` checks this).

    Parameters
    ----------
    sizes : tuple of int
        :meth:`Architecture.layer_sizes`; all hidden layers have one width.
    activation : str
        A key of :data:`dnngap.mlp.ACTIVATIONS_IN_PLACE`.
    x : Tensor, shape (T, d, m)
        Inputs, feature-major.
    target : Tensor, shape (T, m)
    weight_mask : Tensor, shape (T, m), optional
        1 for the samples each trial uses, 0 for padding (same dtype as ``x``).
    count : Tensor, shape (T,), optional
        Samples per trial, ``weight_mask.sum(dim=1)`` (given with ``weight_mask``).
    """

    def __init__(self, sizes, activation, x, target, weight_mask=None, count=None):
        self.x, self.target, self.weight_mask, self.count = x, target, weight_mask, count
        # sigma in place (z becomes h), or out of place where sigma' needs z
        self.out_of_place = _OUT_OF_PLACE.get(activation)
        self.in_place = None if self.out_of_place else mlp.ACTIVATIONS_IN_PLACE[activation]
        self.derivative = _DERIVATIVES[activation]
        n_trials, _, m = x.shape
        hidden = (n_trials, sizes[1], m)
        # z_k and h_k = sigma(z_k) of each hidden layer (the same buffer unless sigma' needs z)
        self.pre = [x.new_empty(hidden) for _ in sizes[1:-1]]
        self.post = [x.new_empty(hidden) for _ in self.pre] if self.out_of_place else self.pre
        self.delta, self.scratch = x.new_empty(hidden), x.new_empty(hidden)
        self.output = x.new_empty((n_trials, m))
        # Weight gradients of the hidden layers, contiguous: a bmm into them
        # is one batched MKL call, into the strided views of the flat gradient
        # a loop over trials (slower for narrow layers); they are copied over.
        self.weight_grads = [x.new_empty((n_trials, n_out, n_in)) for n_in, n_out in zip(sizes[:-2], sizes[1:-1])]
        # dL_t/dPhi = residual * loss_weight, with loss_weight = 2/m_t (times
        # the mask); autograd multiplies by fl(1/m_t) and by 2, and
        # fl(2/m_t) = 2 fl(1/m_t), so the rounding is the same.
        if weight_mask is None:
            self.loss_weight = 2 / x.new_full((n_trials, 1), m)
        else:
            self.loss_weight = weight_mask * (2 / count[:, None])

    def loss(self, layers) -> torch.Tensor:
        r"""Forward pass: the losses :math:`\mathcal{L}_t`, shape (T,).

        ``layers`` are the views of :func:`dnngap.mlp.layer_views`. The network is
        computed with the operations of :func:`dnngap.mlp.forward`, into the buffers;
        the residual :math:`\Phi - f` is left in ``output``.
        """
        h = self.x
        for (weight, bias), z, a in zip(layers[:-1], self.pre, self.post):
            torch.baddbmm(bias, weight, h, out=z)
            h = self.out_of_place(z, a) if self.out_of_place else self.in_place(z)
        weight, bias = layers[-1]  # mlp.output_layer, into the buffers
        torch.mul(weight.transpose(1, 2), h, out=self.scratch)
        residual = torch.sum(self.scratch, dim=1, out=self.output).add_(bias[:, 0]).sub_(self.target)
        if self.weight_mask is None:
            return residual.square().mean(dim=1)
        return (residual.square() * self.weight_mask).sum(dim=1) / self.count

    def loss_and_gradient(self, layers, grad_layers) -> torch.Tensor:
        """:meth:`loss`; writes the gradient of each trial's loss into ``grad_layers``.

        ``grad_layers`` are views like ``layers``, into a flat gradient ``(T, P)``.
        """
        loss = self.loss(layers)
        g = (self.output * self.loss_weight)[:, None, :]  # (T, 1, m)
        weight, _ = layers[-1]
        grad_weight, grad_bias = grad_layers[-1]
        torch.mul(g, self.post[-1], out=self.scratch)
        torch.sum(self.scratch, dim=2, keepdim=True, out=grad_weight.transpose(1, 2))
        torch.sum(g, dim=2, keepdim=True, out=grad_bias)
        delta, spare = self.delta, self.scratch
        torch.mul(g, weight.transpose(1, 2), out=delta)
        for k in reversed(range(len(layers) - 1)):
            self.derivative(delta, self.post[k], self.pre[k])
            grad_weight, grad_bias = grad_layers[k]
            h = self.post[k - 1] if k else self.x
            grad_weight.copy_(torch.bmm(delta, h.transpose(1, 2), out=self.weight_grads[k]))
            torch.sum(delta, dim=2, keepdim=True, out=grad_bias)
            if k:
                torch.bmm(layers[k][0].transpose(1, 2), delta, out=spare)
                delta, spare = spare, delta
        return loss
