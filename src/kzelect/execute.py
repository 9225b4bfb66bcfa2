"""Running a query on an engine, within a time limit, a row limit and a memory limit.

Two engines give the same answers (a test holds them to it): pyoxigraph on the embedded store (the
default, fast) and rdflib on the TriG export (the reference). ``run`` checks and evaluates in a
child process so that a query past its time limit is stopped for certain, even inside the
engine's native code or in the parser (a pathological query of 100 kB can keep rdflib's parser
busy for minutes); the child is killed and reaped, never left behind.

The child is forked directly (``start="fork"``, the default, for the single-threaded CLI), or by
multiprocessing's fork server (``start="forkserver"``, for the threaded web server: forking a
process that runs other threads can copy a lock some thread holds, and deadlock the child). The
fork server is started once, with the engine's modules imported, and forks each child from there.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from .errors import EXIT_LIMIT, KzelectError
from .results import Answer, oxigraph_term, rdflib_term
from .sparql import Prepared, QueryRefused, prefixes

ENGINES = ("oxigraph", "rdflib")


class TimeLimitReached(KzelectError):
    exit_code = EXIT_LIMIT


class MemoryLimitReached(KzelectError):
    exit_code = EXIT_LIMIT


class ClientGone(KzelectError):
    """The client that asked the query disconnected before the answer: the query was stopped."""


class EngineError(KzelectError):
    """The engine could not evaluate the query (for instance a type error it reports)."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 30.0  # wall-clock time for one query; 0: none
    rows: int = 10_000  # rows (or triples) returned at most; 0: none
    memory: int = 0  # megabytes one query's process may allocate (RLIMIT_DATA); 0: no limit


def _cut(items, rows: int) -> tuple[list, bool]:
    taken = list(items) if not rows else list(islice(items, rows + 1))
    return (taken[:rows], True) if rows and len(taken) > rows else (taken, False)


def evaluate_oxigraph(store, prepared: Prepared, rows: int = 0) -> Answer:
    """Evaluate on a pyoxigraph Store whose default graph holds the whole graph."""
    import pyoxigraph

    result = store.query(prepared.text, prefixes=prefixes())
    if isinstance(result, pyoxigraph.QueryBoolean):
        return Answer("ASK", boolean=bool(result))
    if isinstance(result, pyoxigraph.QueryTriples):
        taken, cut = _cut(result, rows)
        triples = [(oxigraph_term(t.subject), oxigraph_term(t.predicate), oxigraph_term(t.object)) for t in taken]
        return Answer(prepared.form, triples=triples, truncated=cut, limit=rows)
    names = [v.value for v in result.variables]
    taken, cut = _cut(result, rows)
    out = [{n: oxigraph_term(s[n]) for n in names if s[n] is not None} for s in taken]
    return Answer("SELECT", variables=names, rows=out, truncated=cut, limit=rows)


def evaluate_rdflib(graph, prepared: Prepared, rows: int = 0) -> Answer:
    """Evaluate on an rdflib Graph or Dataset (the reference engine); remote graphs are never loaded."""
    import rdflib.plugins.sparql

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    result = graph.query(prepared.text, initNs=prefixes())
    if result.type == "ASK":
        return Answer("ASK", boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        taken, cut = _cut(iter(result.graph), rows)
        triples = sorted(tuple(rdflib_term(t) for t in triple) for triple in taken)  # an rdflib graph has no order
        return Answer(prepared.form, triples=triples, truncated=cut, limit=rows)
    names = [str(v) for v in result.vars]
    taken, cut = _cut(iter(result), rows)
    out = [{n: rdflib_term(row[n]) for n in names if row[n] is not None} for row in taken]
    return Answer("SELECT", variables=names, rows=out, truncated=cut, limit=rows)


def reference_dataset(out: Path):
    """The build output as an rdflib Dataset shaped like the store: the whole graph as default graph, plus the named graphs."""
    from rdflib import Dataset
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    from .store import NTRIPLES, TRIG

    dataset = Dataset()
    dataset.parse(str(Path(out) / TRIG), format="trig")
    dataset.graph(DATASET_DEFAULT_GRAPH_ID).parse(str(Path(out) / NTRIPLES), format="nt")
    return dataset


_REFRESHING = threading.Lock()
# Imported once, by the fork server; kzelect.cli because each child re-imports the `kzelect` script (guarded by __name__)
PRELOAD = ["kzelect.execute", "kzelect.store", "pyoxigraph", "kzelect.cli"]


def _evaluate(engine: str, out: str, query: Prepared | str, rows: int) -> Answer:
    """Check ``query`` first if it is text (the local named graphs may be used in FROM), then evaluate it."""
    import pyoxigraph

    from .sparql import prepare
    from .store import database, graph_names

    store = pyoxigraph.Store.read_only(str(database(Path(out))))
    prepared = query if isinstance(query, Prepared) else prepare(query, graph_names(store))
    if engine == "oxigraph":
        return evaluate_oxigraph(store, prepared, rows)
    return evaluate_rdflib(reference_dataset(Path(out)), prepared, rows)


def _child(connection, engine: str, out: str, query: Prepared | str, limits: Limits) -> None:
    try:
        _die_with_parent()
        if limits.memory:
            import resource

            resource.setrlimit(resource.RLIMIT_DATA, (limits.memory << 20, limits.memory << 20))
        connection.send(("ok", _evaluate(engine, out, query, limits.rows)))
    except KzelectError as error:  # the query was refused, or is not SPARQL
        connection.send(("refused", str(error)))
    except MemoryError:
        connection.send(("memory", ""))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent as a message
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent ends: the time limit is the parent's to enforce.

    The parent is ``kzelect query``, or the web server's fork server, which ends with the server once
    no process holds the "alive" pipe that multiprocessing hands to every child it forks: closed here.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    from multiprocessing import forkserver

    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    alive = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
    if alive is not None:
        os.close(alive)
        forkserver._forkserver._forkserver_alive_fd = None


def _context(start: str):
    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context(start)
    if start == "forkserver":
        context.set_forkserver_preload(PRELOAD)  # no effect once the fork server runs
    return context


def run(query: Prepared | str, out: Path, limits: Limits = Limits(), engine: str = "oxigraph", *,
        start: str = "fork", client: socket.socket | None = None) -> Answer:
    """Check (if text) and evaluate ``query`` on the build in ``out`` in a child process; call ``store.refresh`` first.

    ``client``: the socket of the client waiting for the answer; if it disconnects, the child is
    stopped at once (``ClientGone``) instead of running on for nobody.
    """
    context = _context(start)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, engine, str(out), query, limits), daemon=True)
    child.start()
    sender.close()
    try:
        status, payload = _wait(receiver, child, engine, limits, client)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if status == "refused":
        raise QueryRefused(payload)
    if status == "memory":
        raise _memory_limit(limits)
    if status == "error":
        raise EngineError(f"the {engine} engine could not evaluate the query: {payload}")
    return payload


def _wait(receiver, child, engine: str, limits: Limits, client: socket.socket | None) -> tuple[str, object]:
    """The child's message, once it comes; raise at the time limit, or when the client goes away."""
    deadline = time.monotonic() + limits.seconds if limits.seconds else None
    watched = [receiver] if client is None else [receiver, client]
    while True:
        ready = multiprocessing.connection.wait(watched, None if deadline is None else max(0.0, deadline - time.monotonic()))
        if receiver in ready:
            try:
                return receiver.recv()
            except EOFError:
                child.join(1)
                if limits.memory and child.exitcode == -6:  # Rust aborts when an allocation fails
                    raise _memory_limit(limits) from None
                raise EngineError(f"the {engine} engine stopped without an answer (exit code {child.exitcode})") from None
        if not ready:
            raise TimeLimitReached(f"the query was stopped at the time limit of {limits.seconds:g} s: "
                                   "make the query more selective")
        if _disconnected(client):
            raise ClientGone("the client disconnected; the query was stopped")
        watched.remove(client)  # the client sent more (a next request): it is still there, stop watching


def _disconnected(client: socket.socket) -> bool:
    """Whether a socket that polls readable has reached its end (the peer closed it)."""
    try:
        return client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except ValueError:  # a TLS socket cannot peek: assume the client is there
        return False
    except OSError:  # reset by the peer
        return True


def _memory_limit(limits: Limits) -> MemoryLimitReached:
    return MemoryLimitReached(f"the query was stopped at the memory limit of {limits.memory:,} MB "
                              "(make the query more selective: ORDER BY, GROUP BY and DISTINCT over many rows hold them all)")


def ask(text: str, out: Path, limits: Limits = Limits(), engine: str = "oxigraph", **options) -> Answer:
    """Check a query, then answer it from the build in ``out``: the whole path of ``kzelect query``.

    Both steps run in the child process, within the time limit. ``options``: those of ``run``.
    """
    from .store import refresh

    with _REFRESHING:  # one thread at a time may reload the store (the server runs queries in threads)
        refresh(out)
    return run(text, out, limits, engine, **options)
