"""The results store: one JSON file per unit of work, written atomically.

Layout: ``<root>/<key[:2]>/<key>.json`` where ``key`` hashes the unit's
resolved configuration (:meth:`dnngap.experiments.Unit.config`) together with
the *numerics versions* its numbers depend on (:func:`numerics_versions`):

``NUMERICS_VERSION`` in the modules each method names (:mod:`.methods`)
    :mod:`dnngap.cs`, :mod:`dnngap.dnn`, :mod:`dnngap.existence`,
    :mod:`dnngap.recipes` (the existence network also depends on the CS
    solver's, the training recipes on :mod:`dnngap.dnn`'s) and
    :mod:`dnngap.tuning` where CS's λ is cross-validated;
``NUMERICS_VERSION`` in :mod:`dnngap.experiments.runner`
    ``data``: what every kind shares, the samples, test sets and error
    estimation (:mod:`dnngap.functions`, :mod:`dnngap.sampling`,
    :mod:`dnngap.smolyak`, :mod:`dnngap.quadrature` and their assembly in the
    runner).

The rule: **a change that alters the numbers a module produces bumps its
``NUMERICS_VERSION`` by hand**; refactoring, comments, plotting and prose
change nothing, so stored results survive them. The library's own version is
not part of the key either. A forgotten bump is caught by
:func:`dnngap.experiments.verify`, which recomputes a sample of stored units
and compares the numbers. The experiment's name is not part of the key, so
experiments that share a unit (the CS chapter and E1 both solve CS on
``exp_cos``) compute it once. So

* a changed spec or a bumped numerics version invalidates exactly the units
  it changes (a new key);
* a run killed at any point loses only the unit in flight: every finished
  unit is a complete file (written to a temporary file, flushed, fsynced and
  renamed into place);
* a truncated or corrupted file (bad JSON, wrong checksum, wrong key) is
  detected on reading, reported, and recomputed;
* two runs on the same store at once do not compute the same unit twice: a
  unit is computed under an exclusive ``flock`` on ``<key>.lock``, and a run
  that finds a unit locked moves on and comes back to it at the end.

The root is ``$DNNGAP_RESULTS`` when set, else the repository's ``results/``
(:func:`default_root`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib
import json
import os
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dnngap

def numerics_versions(method) -> dict[str, int]:
    """The numerics versions a method's numbers depend on.

    Parameters
    ----------
    method
        A method (:mod:`.methods`; its :meth:`numerics_modules`), or a method
        kind, ``"cs"``, ``"dnn"``, ``"existence"`` or ``"recipe"`` (the kind's
        own modules).

    Returns
    -------
    dict
        Name -> ``NUMERICS_VERSION`` of its module, e.g.
        ``{"cs": 1, "data": 1}``; part of every unit's store key.

    >>> from dnngap.experiments import CSMethod
    >>> sorted(numerics_versions(CSMethod(lam="cv")))
    ['cs', 'data', 'tuning']
    """
    from .methods import METHODS

    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"kind must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
        modules = dict(METHODS[method].NUMERICS)
    else:
        modules = method.numerics_modules()
    return {name: int(importlib.import_module(module).NUMERICS_VERSION) for name, module in modules.items()}


def code_version(method) -> str:
    """The numerics versions of a method (or kind) as one string, e.g.
    ``"cs-v1+data-v1"`` (records' provenance; see :func:`numerics_versions`).

    >>> from dnngap.experiments import CSMethod
    >>> code_version("cs"), code_version(CSMethod(lam="cv"))  # doctest: +ELLIPSIS
    ('cs-v...+data-v...', 'cs-v...+data-v...+tuning-v...')
    """
    return "+".join(f"{name}-v{v}" for name, v in numerics_versions(method).items())


@functools.lru_cache(maxsize=None)
def git_commit() -> str:
    """Short commit of the library's checkout when the library was loaded,
    ``-dirty`` if ``lib/`` had uncommitted changes; ``"unknown"`` outside a
    git checkout."""
    here = Path(dnngap.__file__).parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here, capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


# Read once, when the library is loaded: a record names the commit of the code
# that computed it, even if the checkout moves on during a long run.
git_commit()


def _checksum(records: list[dict[str, Any]]) -> str:
    text = json.dumps(records, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def default_root() -> Path:
    """Where :class:`Store` keeps results unless told otherwise:
    ``$DNNGAP_RESULTS`` when set; else the ``results/`` folder of the
    repository the library is installed from (an editable install in a
    checkout, so that a notebook opened in ``notebooks/`` finds the committed
    results); else ``./results``.

    >>> default_root().name
    'results'
    """
    if os.environ.get("DNNGAP_RESULTS"):
        return Path(os.environ["DNNGAP_RESULTS"])
    checkout = Path(dnngap.__file__).resolve().parents[2]  # lib/dnngap/__init__.py -> the repository
    if (checkout / "pyproject.toml").is_file() and (checkout / "lib" / "dnngap").is_dir():
        return checkout / "results"
    return Path.cwd() / "results"


class Store:
    """A folder of unit result files (see the module docstring); ``root``
    defaults to :func:`default_root`.

    >>> Store("/tmp/example").path("0123abcd")
    PosixPath('/tmp/example/01/0123abcd.json')

    One file per unit, written atomically with a checksum; a missing unit reads
    as ``None``:

    >>> import tempfile
    >>> store = Store(tempfile.mkdtemp())
    >>> store.read("0123abcd") is None
    True
    >>> _ = store.write("0123abcd", {"m": 20}, [{"trial": 0, "rel_l2": 0.01}])
    >>> store.read("0123abcd")["records"], store.keys()
    ([{'rel_l2': 0.01, 'trial': 0}], ['0123abcd'])
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def read(self, key: str) -> dict[str, Any] | None:
        """The stored unit, or ``None`` if it is missing or damaged."""
        path = self.path(key)
        try:
            payload = json.loads(path.read_text())
            ok = (payload["key"] == key and isinstance(payload["records"], list)
                  and payload["checksum"] == _checksum(payload["records"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            warnings.warn(f"damaged result file {path} ignored; the unit will be recomputed", stacklevel=2)
            return None
        return payload

    def write(self, key: str, config: dict[str, Any], records: list[dict[str, Any]]) -> Path:
        """Atomically write one unit's records (a temporary file, then a rename).

        Call it holding the unit's :meth:`lock`: it also deletes the temporary
        files of this unit that a killed process left behind.
        """
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"key": key, "config": config, "records": records, "checksum": _checksum(records)}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(payload, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        for stale in path.parent.glob(f".{key}.*.tmp"):  # from a run killed mid-write
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        return path

    @contextlib.contextmanager
    def lock(self, key: str, *, blocking: bool = False) -> Iterator[bool]:
        """Hold the unit's exclusive lock; yields ``False`` if another process
        holds it and ``blocking`` is false. The lock dies with its process, so a
        killed run never leaves a unit locked."""
        path = self.path(key).with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def keys(self) -> list[str]:
        """Keys of every stored unit."""
        return sorted(p.stem for p in self.root.glob("*/*.json"))
