"""The embedded store: a pyoxigraph database on disk beside the build output, so queries need no re-parse.

It lives in ``{out}/store/``. Its default graph is the whole graph (the N-Triples export, so each
triple once), and its named graphs are the TriG export's (one per data file), for ``GRAPH`` and
``FROM`` queries. A stamp file records the SHA-256 of both exports (from the build's manifest); when a build changes them, the
next ``refresh`` (run by every build, and before every query) loads them anew into a fresh folder
and swaps the folders, so a reader sees the old store or the new one, never half of one.

Like every Oxigraph store it keeps literal values rather than their spelling: ``"9.0"^^xsd:decimal``
reads back as ``"9"``, and integer subtypes such as ``xsd:nonNegativeInteger`` as ``xsd:integer``.
The rdflib engine (``--engine rdflib``) returns the terms exactly as exported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph

from .errors import KzelectError
from .folder import MANIFEST, umask
from .progress import step
from .quads import Quads

STORE = "store"
STAMP = "LOADED-FROM"
TRIG, NTRIPLES = "kzelect.trig", "kzelect.nt"


class NoBuild(KzelectError):
    """There is no build output to query."""


def location(out: Path) -> Path:
    return Path(out) / STORE


def _stamp(out: Path) -> str:
    """The exports' lines of the build's SHA256SUMS manifest: their digests, computed once by the build."""
    manifest = Path(out) / MANIFEST
    lines = manifest.read_text().splitlines(keepends=True) if manifest.exists() else []
    wanted = [line for line in lines if line.split()[-1] in (NTRIPLES, TRIG)]
    if len(wanted) != 2:
        raise NoBuild(f"{manifest}: no build manifest listing {NTRIPLES} and {TRIG}; run `kzelect build` first")
    return "".join(wanted)


def _loaded(target: Path) -> str:
    return (target / STAMP).read_text() if (target / STAMP).exists() else ""


def refresh(out: Path) -> Path:
    """Make the store match the exports in ``out``; load them only if they changed. Returns the store's folder."""
    out = Path(out)
    missing = [out / name for name in (NTRIPLES, TRIG) if not (out / name).exists()]
    if missing:
        raise NoBuild(f"{missing[0]}: no build output to query; run `kzelect build` first")
    target, stamp = location(out), _stamp(out)
    if _loaded(target) == stamp:
        return target
    with _fresh(out) as (staging, store):
        store.bulk_load(path=str(out / NTRIPLES), format=pyoxigraph.RdfFormat.N_TRIPLES,
                        to_graph=pyoxigraph.DefaultGraph())
        store.bulk_load(path=str(out / TRIG), format=pyoxigraph.RdfFormat.TRIG)
        _finish(store, staging, stamp, target)
    return target


@contextmanager
def loading(out: Path, quads: Quads):
    """Load ``quads`` into the store of the build folder ``out`` on a thread of its own, while the caller writes the
    exports into ``out``; on leaving, wait for it and put it in place (then ``refresh`` finds it current).

    The same store as ``refresh`` makes from the exports (tests/test_build.py checks it): the named graphs are the
    TriG's, the default graph their union (the N-Triples'). pyoxigraph releases the GIL while it loads, so on two
    cores the load costs the build little more than waiting for it.
    """
    out = Path(out)
    with _fresh(out) as (staging, store):
        failed: list[BaseException] = []

        def load() -> None:
            try:
                for name, data in sorted(quads.graphs.items()):
                    for graph in (pyoxigraph.NamedNode(name), pyoxigraph.DefaultGraph()):
                        store.bulk_load(data, format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=graph)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread below
                failed.append(error)

        thread = threading.Thread(target=load, name="kzelect-store-load", daemon=True)
        thread.start()
        try:
            yield
        finally:
            with step("load the query store"):
                thread.join()
        if failed:
            raise failed[0]
        _finish(store, staging, _stamp(out), location(out))


@contextmanager
def _fresh(out: Path):
    """A new, empty store in a scratch folder inside ``out``, removed on leaving (``_finish`` moves it out first)."""
    staging = Path(tempfile.mkdtemp(prefix=".store-", dir=out))
    os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes 0700; the store is for every user the umask allows
    try:
        yield staging, pyoxigraph.Store(str(staging / "db"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _finish(store: pyoxigraph.Store, staging: Path, stamp: str, target: Path) -> None:
    store.optimize()
    store.flush()
    del store
    (staging / STAMP).write_text(stamp)
    _swap(staging, target)


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` in place of ``target`` with renames only."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        os.replace(target, old)
    os.replace(staging, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def database(out: Path) -> Path:
    """The folder of the Oxigraph database itself (call ``refresh`` first)."""
    return location(out) / "db"


def open_store(out: Path) -> pyoxigraph.Store:
    """The store, read-only, refreshed first if the build changed."""
    refresh(out)
    return pyoxigraph.Store.read_only(str(database(out)))


def graph_names(store: pyoxigraph.Store) -> frozenset[str]:
    return frozenset(graph.value for graph in store.named_graphs() if isinstance(graph, pyoxigraph.NamedNode))
