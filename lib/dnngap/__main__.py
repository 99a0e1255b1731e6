"""Command line: ``python -m dnngap list | run | status | plan | verify``.

Examples
--------
::

    python -m dnngap list
    python -m dnngap run e1 --scale smoke
    python -m dnngap run e2 --scale ci --set trials=5 --set "activations=[relu, tanh]"
    python -m dnngap run e1 --scale ci --workers 2             # a local Dask cluster
    python -m dnngap run e1 --scale paper --scheduler tcp://host:8786   # a running one
    python -m dnngap status e1
    python -m dnngap status e1 --scale paper --files   # the files to commit
    python -m dnngap plan e1 --scale paper              # what is missing, in core-hours
    python -m dnngap run e1 --scale paper --set device=cuda --budget 420 --kinds dnn
    python -m dnngap verify e1 --scale paper --sample 3 --cheapest
    python -m dnngap verify --committed --budget 150    # the results committed to git

``run`` and ``verify`` exit with status 1 when the result is incomplete or a
check fails (``run --budget``: only when a unit fails), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator

import yaml

from . import experiments


def _parse_sets(items: list[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set takes key=value; got {item!r} (keys: {sorted(experiments.OVERRIDES)})")
        key, value = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="compute on a new local Dask cluster of N single-threaded worker processes")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="compute on a running Dask cluster, e.g. tcp://127.0.0.1:8786")


@contextlib.contextmanager
def _client(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Iterator:
    """The Dask client that ``--workers`` / ``--scheduler`` ask for, else ``None``."""
    if args.workers is None and args.scheduler is None:
        yield None
        return
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be an integer >= 1; got {args.workers}")
    from distributed import Client

    try:
        client = (experiments.local_cluster(args.workers) if args.workers is not None
                  else Client(args.scheduler, timeout="30s"))
    except OSError as exc:
        parser.error(f"--scheduler {args.scheduler}: cannot connect ({exc})")
    cluster = client.cluster
    try:
        workers = len(client.scheduler_info()["workers"])
        print(f"Dask: {workers} workers at {client.scheduler.address}", flush=True)
        yield client
    finally:
        client.close()
        if cluster is not None and args.workers is not None:
            cluster.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dnngap", description="Run the paper's experiments.")
    sub = parser.add_subparsers(dest="command", required=True)
    sets_help = "override a knob (repeatable): " + ", ".join(sorted(experiments.OVERRIDES))
    kinds_help = f"only these method kinds ({', '.join(sorted(experiments.specs.METHODS))})"
    sub.add_parser("list", help="the experiments, one per line, name first")
    run = sub.add_parser("run", help="compute an experiment into the results store (resumable)")
    run.add_argument("experiment", choices=experiments.available())
    run.add_argument("--scale", choices=experiments.SCALES, default="ci")
    run.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help=sets_help)
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                     help="compute in this process the missing units, largest first, as many as fit this "
                          "wall-clock budget by their estimated cost (see `plan`)")
    run.add_argument("--kinds", default=None, metavar="KIND,...", help="with --budget: " + kinds_help)
    _add_cluster_options(run)
    status = sub.add_parser("status", help="what is done and what is missing in the store")
    status.add_argument("experiment", nargs="?", choices=experiments.available())
    status.add_argument("--scale", choices=experiments.SCALES, default=None)
    status.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="override a knob (repeatable; needs an experiment)")
    status.add_argument("--files", action="store_true",
                        help="list the stored unit files (e.g. to commit paper-scale results with git add -f)")
    plan = sub.add_parser("plan", help="the missing units of an experiment and their estimated cost")
    plan.add_argument("experiment", choices=experiments.available())
    plan.add_argument("--scale", choices=experiments.SCALES, default="ci")
    plan.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help=sets_help)
    plan.add_argument("--kinds", default=None, metavar="KIND,...", help=kinds_help)
    plan.add_argument("--units", action="store_true", help="also list every missing unit, largest first")
    verify = sub.add_parser("verify", help="recompute a sample of stored units and compare the numbers")
    verify.add_argument("experiment", nargs="?", choices=experiments.available())
    verify.add_argument("--scale", choices=experiments.SCALES, default="ci")
    verify.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help=sets_help)
    verify.add_argument("--sample", type=int, default=3, help="how many stored units to recompute (default 3)")
    verify.add_argument("--cheapest", action="store_true",
                        help="the units of smallest stored compute time rather than a random sample")
    verify.add_argument("--seed", type=int, default=None,
                        help="seed of the random sample (default 0; with --committed: from the commit)")
    verify.add_argument("--committed", action="store_true",
                        help="instead of an experiment: the units committed to git under the store, "
                             "one per method kind, within --budget")
    verify.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="with --committed: estimated seconds for all the units checked "
                             f"(default {experiments.verify_committed.__kwdefaults__['budget']:.0f})")
    _add_cluster_options(verify)
    return parser


def _plan(args: argparse.Namespace, parser: argparse.ArgumentParser, store: experiments.Store) -> int:
    try:
        spec = experiments.get(args.experiment, args.scale, **_parse_sets(args.sets))
        found = experiments.plan(spec, store, kinds=args.kinds)
    except ValueError as exc:
        parser.error(str(exc))
    print(found)
    if args.units and found.missing:
        print("missing units, largest first (estimated time for all their trials):")
        print("\n".join(found.unit_lines()))
    return 0


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser, store: experiments.Store) -> int:
    try:
        spec = experiments.get(args.experiment, args.scale, **_parse_sets(args.sets))
    except ValueError as exc:
        parser.error(str(exc))
    if args.kinds is not None and args.budget is None:
        parser.error("--kinds needs --budget")
    if args.budget is not None:
        if args.workers is not None or args.scheduler is not None:
            parser.error("--budget computes in this process: not allowed with --workers or --scheduler")
        try:
            todo = experiments.plan(spec, store, kinds=args.kinds)
            print(f"{spec.name} at scale {spec.scale}: {len(todo.missing)} of {todo.total} units missing; "
                  f"computing the largest that fit {args.budget:.0f} s", flush=True)
            experiments.run_largest_first(spec, store, budget=args.budget, kinds=args.kinds,
                                          log=lambda line: print(line, flush=True))
        except ValueError as exc:
            parser.error(str(exc))
        return 0
    units = spec.units()
    done = len(units) - len(experiments.load(spec, store).missing)
    print(f"{spec.name} at scale {spec.scale}: {len(units)} units, {done} already in {store.root}")
    with _client(args, parser) as client:
        results = experiments.run(spec, store, progress=not args.quiet, client=client)
    print(f"{spec.name}: {len(results.records)} records, {len(results.missing)} units missing")
    print(results.table())
    return 0 if results.complete else 1


def _verify(args: argparse.Namespace, parser: argparse.ArgumentParser, store: experiments.Store) -> int:
    start = time.perf_counter()
    if args.committed:
        if args.experiment or args.sets or args.sample != 3 or args.cheapest or args.scale != "ci":
            parser.error("verify --committed takes no experiment, --scale, --set, --sample or --cheapest")
        budget = {} if args.budget is None else {"budget": args.budget}
        try:
            with _client(args, parser) as client:
                report = experiments.verify_committed(store, seed=args.seed, client=client,
                                                      log=lambda line: print(line, flush=True), **budget)
        except ValueError as exc:
            parser.error(str(exc))
    else:
        if not args.experiment:
            parser.error("verify needs an experiment, or --committed")
        if args.budget is not None:
            parser.error("--budget needs --committed")
        try:
            spec = experiments.get(args.experiment, args.scale, **_parse_sets(args.sets))
            with _client(args, parser) as client:
                report = experiments.verify(spec, store, sample=args.sample, cheapest=args.cheapest,
                                            seed=args.seed or 0, client=client)
        except ValueError as exc:
            parser.error(str(exc))
    print(report)
    print(f"verify: {'passed' if report.passed else 'FAILED'} in {time.perf_counter() - start:.0f} s")
    return 0 if report.passed else 1


def _status(args: argparse.Namespace, parser: argparse.ArgumentParser, store: experiments.Store) -> int:
    if args.sets and not args.experiment:
        parser.error("status --set needs an experiment")
    names = [args.experiment] if args.experiment else experiments.available()
    scales = [args.scale] if args.scale else list(experiments.SCALES)
    try:
        sets = _parse_sets(args.sets)
        for name in names:
            for scale in scales:
                experiments.get(name, scale, **sets)
    except ValueError as exc:
        parser.error(str(exc))
    for name in names:
        for scale in scales:
            spec = experiments.get(name, scale, **sets)
            res = experiments.load(spec, store)
            total = len(spec.units())
            print(f"{name}\t{scale}\t{total - len(res.missing)}/{total} units done")
            if args.experiment and res.missing and len(res.missing) < total:
                for u in res.missing:
                    print(f"  missing: {u.problem.label}, {u.method.label}, m = {u.m}")
            if args.files:
                missing = {u.key for u in res.missing}
                for u in spec.units():
                    if u.key not in missing:
                        print(f"  {store.path(u.key)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        for name in experiments.available():
            spec = experiments.get(name, "smoke")
            print(f"{name}\t{spec.title}")
        return 0
    command = {"plan": _plan, "run": _run, "verify": _verify, "status": _status}[args.command]
    return command(args, parser, experiments.Store())


if __name__ == "__main__":
    sys.exit(main())
