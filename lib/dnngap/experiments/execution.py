"""Executing units: in this process, or on a Dask cluster.

:func:`run` computes the units of a spec that the store lacks. The work is
split by :func:`.runner.plan` into *groups* (units computed together, e.g.
several sample sizes of one DNN trained as one batch); each group is computed
by :func:`.runner.compute_group`:

* without a client, one after the other in this process;
* with a :class:`distributed.Client`, each group is one Dask task. Workers
  only compute and return records: they need no shared file system and never
  touch the store. This process takes the store's lock of every unit it
  submits (so two runs on one store, with or without Dask, do not compute a
  unit twice), writes each group's records as soon as its task finishes
  (:func:`distributed.as_completed`), and releases the locks. A worker that
  dies mid-task is replaced by Dask, which reruns the task elsewhere; a client
  that dies loses only the groups in flight (rerunning resumes).

Groups are submitted largest first (see :func:`unit_cost`), at most a few per
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
from .results import Results, load
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
    the epoch budget). Only the order matters: larger groups are submitted
    first so that the last task to finish is a short one.
    """
    return unit.method.work(unit.problem.d, unit.m, unit.spec.trials)


def group_cost(group: list[Unit]) -> float:
    """Sum of :func:`unit_cost` over a group."""
    return sum(unit_cost(u) for u in group)


# ---------------------------------------------------------------------------
# computing groups: in process, or on a worker
# ---------------------------------------------------------------------------
def _stamp(records: list[list[dict[str, Any]]], executor: str) -> list[list[dict[str, Any]]]:
    for unit_records in records:
        for rec in unit_records:
            rec["executor"] = executor
    return records


def _problem_data(unit: Unit) -> dict:
    """This worker's cached samples and test sets for the unit's problem."""
    s = unit.spec
    key = (unit.problem, s.sampler, s.test, s.trials, s.plot_points)
    if key not in _worker_data:
        _worker_data[key] = runner._ProblemData(unit.problem, s)
        while len(_worker_data) > _WORKER_CACHE_SIZE:
            _worker_data.popitem(last=False)
    _worker_data.move_to_end(key)
    return {unit.problem: _worker_data[key]}


def compute_on_worker(group: list[Unit]) -> list[list[dict[str, Any]]]:
    """The Dask task: compute a group, records stamped with the worker's address."""
    from distributed import get_worker

    records = runner.compute_group(group, _problem_data(group[0]))
    return _stamp(records, get_worker().address)


def compute_local(group: list[Unit], data: dict | None = None) -> list[list[dict[str, Any]]]:
    """Compute a group in this process (``executor`` ``"local"``)."""
    return _stamp(runner.compute_group(group, data), "local")


def task_key(group: list[Unit]) -> str:
    """A readable, unique Dask key, e.g. ``dnngap-dnn-exp_cos-d2-m20,40-1a2b3c4d``."""
    u = group[0]
    ms = ",".join(str(x.m) for x in group)
    return f"dnngap-{u.method.kind}-{u.problem.function}-d{u.problem.d}-m{ms}-{uuid.uuid4().hex[:8]}"


def compute_groups(groups: list[list[Unit]], client: Client | None = None
                   ) -> Iterator[tuple[list[Unit], list[list[dict[str, Any]]]]]:
    """Compute groups without touching any store; yield ``(group, records)``
    in order of completion (all groups submitted at once with a client)."""
    if client is None:
        data: dict = {}
        for group in groups:
            yield group, compute_local(group, data)
        return
    from distributed import as_completed

    futures = {client.submit(compute_on_worker, g, key=task_key(g), pure=False): g
               for g in sorted(groups, key=group_cost, reverse=True)}
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
        group (see the module docstring); ``None``: in this process.

    Returns
    -------
    Results
        Everything the store holds for ``spec`` afterwards.

    Notes
    -----
    Finished units are never recomputed; a unit locked by a concurrent run is
    skipped and awaited at the end.
    """
    from tqdm.auto import tqdm

    store = store or Store()
    todo = [u for u in (units if units is not None else spec.units()) if store.read(u.key) is None]
    bar = tqdm(total=len(todo), desc=spec.name, unit="unit", disable=not progress)
    if client is not None:
        bar.write(f"{spec.name}: {len(todo)} units to compute on Dask, dashboard {_dashboard(client)}")
    groups = runner.plan(todo)
    deferred = (_run_local(groups, store, bar) if client is None
                else _run_dask(groups, store, client, bar))
    for unit in deferred:  # another process had these: wait for it, then check
        with store.lock(unit.key, blocking=True):
            if store.read(unit.key) is None:
                for group, records in compute_groups([[unit]], client):
                    _write(group, records, store)
        bar.update(1)
    bar.close()
    return load(spec, store)


def _dashboard(client: Client) -> str:
    try:
        return str(client.dashboard_link)
    except Exception:  # a scheduler without a dashboard (bokeh missing, or disabled)
        return "(none)"


def _write(group: list[Unit], records: list[list[dict[str, Any]]], store: Store) -> None:
    for unit, unit_records in zip(group, records):
        store.write(unit.key, unit.config(), unit_records)


def _lock_group(group: list[Unit], store: Store, stack: contextlib.ExitStack
                ) -> tuple[list[Unit], list[Unit]]:
    """Lock what can be locked; return ``(to compute, locked elsewhere)``."""
    mine = [u for u in group if stack.enter_context(store.lock(u.key))]
    others = [u for u in group if u not in mine]
    return [u for u in mine if store.read(u.key) is None], others  # some finished meanwhile


def _describe(group: list[Unit]) -> str:
    u = group[0]
    return f"{u.problem.label}, {u.method.label}, m = " + ", ".join(str(x.m) for x in group)


def _run_local(groups: list[list[Unit]], store: Store, bar) -> list[Unit]:
    data: dict = {}
    deferred = []
    for group in groups:
        bar.set_postfix_str(_describe(group), refresh=False)
        with contextlib.ExitStack() as stack:
            mine, others = _lock_group(group, store, stack)
            deferred.extend(others)
            if mine:
                _write(mine, compute_local(mine, data), store)
        bar.update(len(group) - len(others))
    return deferred


def _run_dask(groups: list[list[Unit]], store: Store, client: Client, bar) -> list[Unit]:
    from distributed import as_completed

    _raise_open_file_limit()  # one open lock file per unit in flight
    pending = collections.deque(sorted(groups, key=group_cost, reverse=True))
    inflight: dict = {}  # future -> (units, ExitStack holding their locks)
    deferred: list[Unit] = []
    finished = as_completed()

    def refill() -> None:
        limit = max(4, _IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
        while pending and len(inflight) < limit:
            group = pending.popleft()
            stack = contextlib.ExitStack()
            mine, others = _lock_group(group, store, stack)
            deferred.extend(others)
            bar.update(len(group) - len(mine) - len(others))
            if not mine:
                stack.close()
                continue
            future = client.submit(compute_on_worker, mine, key=task_key(mine), pure=False)
            inflight[future] = (mine, stack)
            finished.add(future)

    try:
        refill()
        for future in finished:
            mine, stack = inflight.pop(future)
            with stack:
                _write(mine, future.result(), store)
            bar.set_postfix_str(_describe(mine), refresh=False)
            bar.update(len(mine))
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
    """
    from distributed import Client, LocalCluster

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1; got {workers!r}")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           env=dict(_ONE_THREAD_ENV), **kwargs)
    client = Client(cluster)
    client.register_plugin(_one_thread_plugin())
    return client
