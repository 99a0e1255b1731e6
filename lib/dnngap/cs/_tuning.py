"""Tuning constants of the CS solver, grouped by stage (private).

Why each value was chosen, and the measurements behind it, are on the book's
page *How the CS solver works* (``book/cs_solver.md``). Changing one changes
the numbers the solver produces: bump :data:`dnngap.cs.NUMERICS_VERSION`.
"""

from __future__ import annotations

import numpy as np

# ------------------------------------------------------------ stopping rule
PD_TOL = 1e-7  # certified relative duality gap (default ``tol`` of "primal_dual")
# Absolute floor of the duality gap, in units of ||b||_2: about 64 rounding
# units, below which P(z) itself is not resolved (`solve`, "Stopping rule").
GAP_FLOOR = 64 * np.finfo(np.float64).eps
TINY = np.finfo(np.float64).tiny  # guards divisions by norms that may vanish
PD_MAX_ITER = 10_000  # every converged trial of the ci grid needs <= 3,000 PDHG iterations

# --------------------------------------------------------- reference (cvxpy)
CVXPY_TOL = 1e-10  # Clarabel tol_gap_abs = tol_gap_rel = tol_feas (on ||b|| = 1)
CVXPY_MAX_ITER = 200  # interior-point iterations

# ---------------------------------------------------------------- homotopy
# Unless the whole path (to a dense solution) costs at most HOMOTOPY_WORK
# flops, the homotopy gives up once its best gap is above g after n
# breakpoints, (n, g) in PROBES, or once it has spent HOMOTOPY_SHARE of the
# flops the PDHG stage would need (estimated); and in any case when ...
HOMOTOPY_WORK = 5e8
PROBES = ((12, 0.4), (20, 0.1))
HOMOTOPY_SHARE = 0.1
HOMOTOPY_PATIENCE = 50  # ... its best gap has not fallen ...
HOMOTOPY_PROGRESS = 10.0  # ... this many times over the last HOMOTOPY_PATIENCE steps
ILL_PIVOT = 0.1  # support ill-conditioned once a squared Cholesky pivot / ||M_j||^2 < this:
ILL_WORK = 10.0  # then the homotopy gets this many times HOMOTOPY_WORK
CERTIFICATE_POINTS = 4  # dual candidates tried per homotopy segment
CHOLESKY_PIVOT = 1e-14  # a new column with ||M_j - proj||^2 below this * ||M_j||^2 is dependent

# ------------------------------------------------------------ PDHG stage
CHECK_EVERY = 32  # iterations between gap checks / polish attempts
ETA = 0.99  # step size factor: tau * sigma * ||K||^2 = eta^2 < 1 (||K|| = 1)
OMEGA0 = 1.0  # initial primal weight (b is scaled to unit norm)
# bound of the primal weight: on degenerate problems (a sparse interpolant in
# low dimension) the primal iterate stalls while the free dual of the
# interpolation form keeps moving, and the unbounded weight overflowed
OMEGA_MAX = 1e10
THETA = 0.5  # smoothing of the primal-weight update at restarts
# restart when the fixed-point residual falls below BETA_SUFFICIENT of its
# value at the last restart, or below BETA_NECESSARY and rising, or after
# BETA_ARTIFICIAL of all iterations so far (PDLP: 0.36; 0.1 saves a third)
BETA_SUFFICIENT, BETA_NECESSARY, BETA_ARTIFICIAL = 0.2, 0.8, 0.1
RCOND = 1e-12  # Gram eigenvalues below RCOND * max are treated as zero
CHOLESKY_RCOND = 1e-8  # interpolation form only if every squared pivot of A A^T exceeds this * max
CPU_BATCH_BYTES = 12 * 2**20  # matrices per CPU batch: about an L3 cache

# ----------------------------------------------------------------- polish
POLISH_BACKOFF = 64  # iterations before retrying a failed polish ...
BACKOFF_GROWTH = 2  # ... multiplied by this after each failure
SUPPORT_CHANGE = 0.01  # polish once the support changes by <= 1% between checks
POLISH_ROUNDS = 6  # sign-flip rounds of the support solve
BETA_INTERPOLATION = 1e-14  # beta (with ||b|| = 1) below which Az = b is solvable
SIMPLEX_PIVOTS = 800  # pivots per simplex attempt
DUAL_OUTSIDE = 1e-3  # a (nearly) optimal basis-pursuit dual with ||p|| > 1 + this: no interpolation
SIMPLEX_REFACTOR = 200  # pivots between refactorisations of the basis inverse

# ------------------------------------------------------------- evaluation
EVAL_CHUNK = 1024  # points per block in `evaluate` (benchmarks/cs_evaluate.py)
