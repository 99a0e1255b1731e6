"""Command line: ``python -m dnngap list | run | status``.

Examples
--------
::

    python -m dnngap list
    python -m dnngap run e1 --scale smoke
    python -m dnngap run e2 --scale ci --set trials=5 --set "activations=[relu, tanh]"
    python -m dnngap status e1
    python -m dnngap status e1 --scale paper --files   # the files to commit
"""

from __future__ import annotations

import argparse
import sys

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dnngap", description="Run the paper's experiments.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the experiments, one per line, name first")
    run = sub.add_parser("run", help="compute an experiment into the results store (resumable)")
    run.add_argument("experiment", choices=experiments.available())
    run.add_argument("--scale", choices=experiments.SCALES, default="ci")
    run.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                     help="override a knob (repeatable): " + ", ".join(sorted(experiments.OVERRIDES)))
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    status = sub.add_parser("status", help="what is done and what is missing in the store")
    status.add_argument("experiment", nargs="?", choices=experiments.available())
    status.add_argument("--scale", choices=experiments.SCALES, default=None)
    status.add_argument("--files", action="store_true",
                        help="list the stored unit files (e.g. to commit paper-scale results with git add -f)")
    args = parser.parse_args(argv)
    store = experiments.Store()

    if args.command == "list":
        for name in experiments.available():
            spec = experiments.get(name, "smoke")
            print(f"{name}\t{spec.title}")
        return 0
    if args.command == "run":
        try:
            spec = experiments.get(args.experiment, args.scale, **_parse_sets(args.sets))
        except ValueError as exc:
            parser.error(str(exc))
        units = spec.units()
        done = len(units) - len(experiments.load(spec, store).missing)
        print(f"{spec.name} at scale {spec.scale}: {len(units)} units, {done} already in {store.root}")
        results = experiments.run(spec, store, progress=not args.quiet)
        print(f"{spec.name}: {len(results.records)} records, {len(results.missing)} units missing")
        print(results.table())
        return 0 if results.complete else 1
    names = [args.experiment] if args.experiment else experiments.available()
    scales = [args.scale] if args.scale else list(experiments.SCALES)
    for name in names:
        for scale in scales:
            spec = experiments.get(name, scale)
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


if __name__ == "__main__":
    sys.exit(main())
