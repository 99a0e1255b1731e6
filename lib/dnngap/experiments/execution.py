"""Executing units: in this process, or on a Dask cluster.

:func:`run` computes the units of a spec that the store lacks, each by
:func:`.runner.compute_unit` (one unit, all its trials, at a time):

* without a client, one after the other in this process;
* with a :class:`distributed.Client`, each unit is one Dask task. Workers
  only compute and return records: they need no shared file system and never
  touch the store. This process takes the store's lock of every unit it
  submits (so two runs on one store, with or without Dask, do not compute a
  unit twice), writes each unit's records as soon as its task finishes
  (:func:`distributed.as_completed`), and releases the locks. A worker that
  dies mid-task is replaced by Dask, which reruns the task elsewhere; a client
  that dies loses only the units in flight (rerunning resumes).

Units are submitted largest first (see :func:`unit_cost`), at most a few per
worker thread at a time, so that the locks held are those of work in flight.
Every record gets a field ``executor``: ``"local"`` in this process, else the
address of the Dask worker that computed it.
"""

from __future__ import annotations

import collections
import contextlib
import resource
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from . import runner
from .records import Results, load
from .specs import ExperimentSpec, Unit
from .store import Store

if TYPE_CHECKING:
    from distributed import Client

#: Groups in flight per worker thread (the rest wait, unlocked, in this process).
_IN_FLIGHT_PER_THREAD = 2
#: Problem data (samples, test sets) a worker process keeps between tasks.
_WORKER_CACHE_SIZE = 2
_worker_data: collections.OrderedDict = collections.OrderedDict()


# ---------------------------------------------------------------------------
# cost estimates (only the order matters)
# ---------------------------------------------------------------------------
def unit_cost(unit: Unit) -> float:
    """A rough, monotone estimate of a unit's compute time (arbitrary units):
    its method's :meth:`~dnngap.experiments.methods.CSMethod.work`, e.g.
    ``trials × m × P × E`` for a network (the flops of full-batch training to
    the epoch budget). Only the order matters: larger units are submitted
    first so that the last task to finish is a short one.

    >>> from dnngap import experiments
    >>> [(u.method.kind, u.m, unit_cost(u)) for u in experiments.get("e1", "smoke").units()[:4]]
    [('cs', 20, 240000.0), ('cs', 40, 480000.0), ('dnn', 20, 282000000.0), ('dnn', 40, 564000000.0)]
    """
    return unit.method.work(unit.problem.d, unit.m, unit.spec.trials)


# ---------------------------------------------------------------------------
# computing units: in process, or on a worker
# ---------------------------------------------------------------------------
def _stamp(records: list[dict[str, Any]], executor: str) -> list[dict[str, Any]]:
    for rec in records:
        rec["executor"] = executor
    return records


def _problem_data(unit: Unit) -> runner._ProblemData:
    """This worker's cached samples and test sets for the unit's problem."""
    s = unit.spec
    key = (unit.problem, s.sampler, s.test, s.trials, s.plot_points)
    if key not in _worker_data:
        _worker_data[key] = runner._ProblemData(unit.problem, s)
        while len(_worker_data) > _WORKER_CACHE_SIZE:
            _worker_data.popitem(last=False)
    _worker_data.move_to_end(key)
    return _worker_data[key]


def compute_on_worker(unit: Unit) -> list[dict[str, Any]]:
    """The Dask task: compute a unit, records stamped with the worker's address."""
    from distributed import get_worker

    return _stamp(runner.compute_unit(unit, _problem_data(unit)), get_worker().address)


def compute_local(unit: Unit, data: dict | None = None) -> list[dict[str, Any]]:
    """Compute a unit in this process (``executor`` ``"local"``); ``data``
    caches samples and test sets per problem between calls.

    >>> from dnngap import experiments
    >>> unit = experiments.get("cs_convergence", "smoke", dims=[1], m_values=[20]).units()[0]
    >>> records = compute_local(unit)
    >>> len(records), records[0]["executor"], records[0]["stop_reason"], records[0]["rel_l2"] < 1e-3
    (2, 'local', 'converged', True)
    """
    data = {} if data is None else data
    problem_data = data.setdefault(unit.problem, runner._ProblemData(unit.problem, unit.spec))
    return _stamp(runner.compute_unit(unit, problem_data), "local")


def task_key(unit: Unit) -> str:
    """A readable, unique Dask key, e.g. ``dnngap-dnn-exp_cos-d2-m20-1a2b3c4d``.

    >>> from dnngap import experiments
    >>> unit = experiments.get("e1", "smoke").units()[2]
    >>> task_key(unit)  # doctest: +ELLIPSIS
    'dnngap-dnn-exp_cos-d1-m20-...'
    >>> task_key(unit) != task_key(unit)
    True
    """
    return (f"dnngap-{unit.method.kind}-{unit.problem.function}-d{unit.problem.d}-m{unit.m}-"
            f"{uuid.uuid4().hex[:8]}")


def compute_units(units: list[Unit], client: Client | None = None
                  ) -> Iterator[tuple[Unit, list[dict[str, Any]]]]:
    """Compute units without touching any store; yield ``(unit, records)``
    in order of completion (all units submitted at once with a client).

    >>> from dnngap import experiments
    >>> units = experiments.get("cs_convergence", "smoke", m_values=[20]).units()
    >>> [(unit.problem.d, len(records)) for unit, records in compute_units(units)]
    [(1, 2), (2, 2)]
    """
    if client is None:
        data: dict = {}
        for unit in units:
            yield unit, compute_local(unit, data)
        return
    from distributed import as_completed

    futures = {client.submit(compute_on_worker, u, key=task_key(u), pure=False): u
               for u in sorted(units, key=unit_cost, reverse=True)}
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        client.cancel(list(futures))


# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------
def run(spec: ExperimentSpec, store: Store | None = None, *, progress: bool = True,
        units: Iterable[Unit] | None = None, client: Client | None = None) -> Results:
    """Compute every unit of ``spec`` missing from the store, then load all.

    Parameters
    ----------
    spec
        The experiment.
    store
        Where results go; default :class:`Store` ``()`` (``$DNNGAP_RESULTS`` or
        ``./results``).
    progress
        Show a progress bar over units.
    units
        Compute only these units of the spec (default: all).
    client
        A :class:`distributed.Client`: compute on its cluster, one task per
        unit (see the module docstring); ``None``: in this process.

    Returns
    -------
    Results
        Everything the store holds for ``spec`` afterwards.

    Notes
    -----
    Finished units are never recomputed; a unit locked by a concurrent run is
    skipped and awaited at the end.

    Examples
    --------
    CS on ``exp_cos`` in d = 2 at m = 20 and 40, two trials each, into a new
    store; a second run finds every unit stored and computes nothing:

    >>> import tempfile
    >>> from dnngap.experiments import CSMethod, Problem, TestSpec
    >>> spec = ExperimentSpec(name="demo", title="exp_cos in d = 2", scale="smoke",
    ...                       problems=(Problem("exp_cos", 2, (20, 40)),), methods=(CSMethod(n_max=60),),
    ...                       trials=2, test=TestSpec(estimator="monte_carlo", mc_points=2000))
    >>> store = Store(tempfile.mkdtemp())
    >>> res = run(spec, store, progress=False)
    >>> res.complete, len(res.records), len(store.keys())
    (True, 4, 2)
    >>> res.summary_frame()[["method", "m", "trials"]]
                method   m  trials
    0  CS (HC, N ≤ 60)  20       2
    1  CS (HC, N ≤ 60)  40       2
    >>> bool((res.summary_frame()["geomean"] < 1e-2).all())
    True
    >>> run(spec, store, progress=False).records == res.records
    True
    """
    from tqdm.auto import tqdm

    store = store or Store()
    todo = [u for u in (units if units is not None else spec.units()) if store.read(u.key) is None]
    bar = tqdm(total=len(todo), desc=spec.name, unit="unit", disable=not progress)
    if client is not None:
        bar.write(f"{spec.name}: {len(todo)} units to compute on Dask, dashboard {_dashboard(client)}")
    deferred = (_run_local(todo, store, bar) if client is None
                else _run_dask(todo, store, client, bar))
    for unit in deferred:  # another process had these: wait for it, then check
        with store.lock(unit.key, blocking=True):
            if store.read(unit.key) is None:
                for _, records in compute_units([unit], client):
                    _write(unit, records, store)
        bar.update(1)
    bar.close()
    return load(spec, store)


def _dashboard(client: Client) -> str:
    try:
        return str(client.dashboard_link)
    except Exception:  # a scheduler without a dashboard (bokeh missing, or disabled)
        return "(none)"


def _write(unit: Unit, records: list[dict[str, Any]], store: Store) -> None:
    store.write(unit.key, unit.config(), records)


def _describe(unit: Unit) -> str:
    return f"{unit.problem.label}, {unit.method.label}, m = {unit.m}"


def _run_local(units: list[Unit], store: Store, bar) -> list[Unit]:
    """Compute ``units`` one by one; return those locked by another process."""
    data: dict = {}
    deferred = []
    for unit in units:
        bar.set_postfix_str(_describe(unit), refresh=False)
        with store.lock(unit.key) as mine:
            if not mine:
                deferred.append(unit)
                continue
            if store.read(unit.key) is None:  # else finished meanwhile
                _write(unit, compute_local(unit, data), store)
        bar.update(1)
    return deferred


def _run_dask(units: list[Unit], store: Store, client: Client, bar) -> list[Unit]:
    from distributed import as_completed

    _raise_open_file_limit()  # one open lock file per unit in flight
    pending = collections.deque(sorted(units, key=unit_cost, reverse=True))
    inflight: dict = {}  # future -> (unit, ExitStack holding its lock)
    deferred: list[Unit] = []
    finished = as_completed()

    def refill() -> None:
        limit = max(4, _IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
        while pending and len(inflight) < limit:
            unit = pending.popleft()
            stack = contextlib.ExitStack()
            if not stack.enter_context(store.lock(unit.key)):
                stack.close()
                deferred.append(unit)
                continue
            if store.read(unit.key) is not None:  # finished meanwhile
                stack.close()
                bar.update(1)
                continue
            future = client.submit(compute_on_worker, unit, key=task_key(unit), pure=False)
            inflight[future] = (unit, stack)
            finished.add(future)

    try:
        refill()
        for future in finished:
            unit, stack = inflight.pop(future)
            with stack:
                _write(unit, future.result(), store)
            bar.set_postfix_str(_describe(unit), refresh=False)
            bar.update(1)
            refill()
    finally:
        for future, (_, stack) in inflight.items():
            future.cancel()
            stack.close()
    return deferred


def _raise_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------------------
# a local cluster of single-threaded workers
# ---------------------------------------------------------------------------
_ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _one_thread_plugin():
    """A worker plugin: one PyTorch thread per worker (BLAS: the environment).
    It is re-run on a worker that Dask restarts."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class OneThread(WorkerPlugin):
        name = "dnngap-one-thread"

        def setup(self, worker) -> None:
            import torch

            torch.set_num_threads(1)

    return OneThread()


def local_cluster(workers: int, **kwargs: Any) -> Client:
    """A client of a new :class:`distributed.LocalCluster` of ``workers``
    single-threaded worker processes (PyTorch and BLAS with one thread each).

    Parameters
    ----------
    workers
        Number of worker processes, ``>= 1``.
    **kwargs
        Passed to :class:`distributed.LocalCluster` (e.g. ``dashboard_address``).

    Examples
    --------
    >>> local_cluster(0)
    Traceback (most recent call last):
    ...
    ValueError: workers must be an integer >= 1; got 0
    """
    from distributed import Client, LocalCluster

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1; got {workers!r}")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           env=dict(_ONE_THREAD_ENV), **kwargs)
    client = Client(cluster)
    client.register_plugin(_one_thread_plugin())
    return client
