"""dnngap: the library behind the dnn-gap book.

A reproducible companion to B. Adcock and N. Dexter, *The gap between theory
and practice in function approximation with deep neural networks*, SIAM J.
Math. Data Sci. 3(2):624--655, 2021.

Modules (data flows one way: spec -> samples -> method -> errors -> store ->
figure):

``functions``    the paper's test functions and their exact norms
``sampling``     seeded i.i.d. samples, MATLAB-compatible mode
``smolyak``      Clenshaw--Curtis sparse grids (nodes, weights, disk cache)
``quadrature``   error estimators: sparse-grid quadrature and Monte Carlo
``polynomials``  orthonormal tensor Legendre basis, index sets
``cs``           weighted square-root LASSO (compressed sensing) solvers
``tuning``       the CS parameter lambda by cross-validation
``mlp``          fully connected networks: architecture, parameters, forward pass
``dnn``          the paper's training protocol, batched over trials
``recipes``      other ways to train the same networks (chapter E8)
``existence``    the practical existence theorem's network
``experiments``  specs, scales, runner, results store
``plotting``     paper-style figures with provenance captions
"""

__version__ = "0.1.0"
