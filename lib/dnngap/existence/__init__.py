r"""The practical existence theorem's network: ReLU emulation of Legendre features.

Adcock & Dexter prove that *some* deep network, trained in *some* way, does
as well as compressed sensing (CS) on smooth functions (the book's page
*The paper, and what is known of its experiments*, ``book/paper.md``,
section "The practical existence theorem", reconstructed). The network is
built, not trained: its hidden layers compute, to accuracy :math:`\delta`,
the vector of orthonormal tensor Legendre polynomials :math:`(\Psi_\nu(y))_{\nu\in\Lambda}`
(:mod:`dnngap.polynomials`), and only the last layer :math:`z \in \mathbb{R}^N`
is trained, with the weighted square-root-LASSO loss of :mod:`dnngap.cs`.
This package builds that network explicitly, as a list of weight matrices and
biases, and trains its last layer. Everything is importable from here (but
:mod:`~dnngap.existence.finetune`, which needs torch); the modules are one
concept each:

:mod:`~dnngap.existence.network`
    Sparse feed-forward networks stored as their affine layers
    (:class:`Layer`, :class:`FeedForwardNetwork`).
:mod:`~dnngap.existence.construction`
    The construction, step by step: :func:`emulate_features` (an
    :class:`EmulatedFeatures`), and its gadgets :func:`square_network` and
    :func:`product_network`; :mod:`~dnngap.existence.plan` orders its products.
:mod:`~dnngap.existence.bounds`
    A-priori error bounds and closed forms: :func:`square_error_bound`,
    :func:`feature_error_constants`, :func:`required_s`, :func:`depth_formula`.
:mod:`~dnngap.existence.last_layer`
    The trained last layer: :func:`fit_existence_network` (an
    :class:`ExistenceFit`) and :func:`train_last_layer`.
:mod:`~dnngap.existence.tables`
    Tables for the book: :func:`emulation_error_table`, :func:`layer_table`.
:mod:`~dnngap.existence.finetune`
    Every layer trained from the constructed weights (torch, CPU or GPU):
    :func:`~dnngap.existence.finetune.finetune`.

Conventions
-----------
* Domain :math:`[-1,1]^d`; points are rows of an ``(n, d)`` array; the bound
  holds only there. Points within :data:`dnngap.functions.DOMAIN_TOL` of the
  cube are clipped onto it, points further out are refused.
* Feature ``j`` belongs to ``Lambda[j]`` (the order of :mod:`dnngap.polynomials`).
* A network is a sequence of affine layers :math:`x \mapsto Wx + b`, each
  followed by the activation except the last. **depth** = number of affine
  layers (= hidden layers + 1), **width** = largest hidden layer,
  **n_parameters** = number of non-zero entries of all :math:`W` and
  :math:`b` (the count used in approximation theory), all read off the
  stored matrices. Weights are stored as ``scipy.sparse.csr_array``
  (float64): the construction is very sparse.

Examples
--------
>>> from dnngap import existence, polynomials
>>> Lambda = polynomials.hyperbolic_cross(2, 6)
>>> net = existence.emulate_features(Lambda, existence.required_s(Lambda, 1e-6))
>>> net.delta_bound <= 1e-6, net.depth == existence.depth_formula(Lambda, net.s)
(True, True)
"""

from __future__ import annotations

from ._common import Activation, LegendreMethod, Training
from .bounds import depth_formula, feature_error_constants, required_s, square_error_bound
from .construction import EmulatedFeatures, emulate_features, product_network, square_network
from .last_layer import ExistenceFit, LastLayerResult, fit_existence_network, train_last_layer
from .network import FeedForwardNetwork, Layer
from .tables import EmulationErrorTable, LayerGroup, emulation_error_table, layer_table

#: Version of the numbers this package produces (all its modules). Bump it by
#: hand when a change alters the existence network's results (emulation,
#: training of the last layer...); refactoring that leaves them unchanged keeps
#: it. The results store's key includes it, and :data:`dnngap.cs.NUMERICS_VERSION`
#: (its default last-layer training is the CS solver).
NUMERICS_VERSION: int = 1

__all__ = [
    "Activation",
    "LegendreMethod",
    "Training",
    "Layer",
    "FeedForwardNetwork",
    "EmulatedFeatures",
    "LastLayerResult",
    "ExistenceFit",
    "LayerGroup",
    "EmulationErrorTable",
    "square_error_bound",
    "square_network",
    "product_network",
    "emulate_features",
    "feature_error_constants",
    "required_s",
    "depth_formula",
    "train_last_layer",
    "fit_existence_network",
    "emulation_error_table",
    "layer_table",
]
