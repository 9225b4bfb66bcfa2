"""Running a checked query on an engine, within a time limit and a row limit.

Two engines give the same answers (a test holds them to it): pyoxigraph on the embedded store (the
default, fast) and rdflib on the TriG export (the reference). ``run`` evaluates in a child process
so that a query past its time limit is stopped for certain, even inside the engine's native code;
the child is killed and reaped, never left behind.
"""

from __future__ import annotations

import multiprocessing
import sys
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from .errors import EXIT_LIMIT, KzelectError
from .results import Answer, oxigraph_term, rdflib_term
from .sparql import Prepared, prefixes

ENGINES = ("oxigraph", "rdflib")


class TimeLimitReached(KzelectError):
    exit_code = EXIT_LIMIT


class EngineError(KzelectError):
    """The engine could not evaluate the query (for instance a type error it reports)."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 30.0  # wall-clock time for one query; 0: none
    rows: int = 10_000  # rows (or triples) returned at most; 0: none


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


def _evaluate(engine: str, out: str, prepared: Prepared, rows: int) -> Answer:
    if engine == "oxigraph":
        import pyoxigraph

        from .store import database

        return evaluate_oxigraph(pyoxigraph.Store.read_only(str(database(Path(out)))), prepared, rows)
    return evaluate_rdflib(reference_dataset(Path(out)), prepared, rows)


def _child(connection, engine: str, out: str, prepared: Prepared, rows: int) -> None:
    try:
        connection.send(("ok", _evaluate(engine, out, prepared, rows)))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent as a message
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


def run(prepared: Prepared, out: Path, limits: Limits = Limits(), engine: str = "oxigraph") -> Answer:
    """Evaluate on the build in ``out`` in a child process (for oxigraph, refresh the store first)."""
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, engine, str(out), prepared, limits.rows), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds or None):
            raise TimeLimitReached(f"the query was stopped at the time limit of {limits.seconds:g} s "
                                   "(raise it with --timeout, or make the query more selective)")
        try:
            status, payload = receiver.recv()
        except EOFError:
            raise EngineError(f"the {engine} engine stopped without an answer (exit code {child.exitcode})") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if status == "error":
        raise EngineError(f"the {engine} engine could not evaluate the query: {payload}")
    return payload


def graph_names(out: Path) -> frozenset[str]:
    """The named graphs of the build in ``out`` (the store is refreshed first)."""
    from .store import graph_names as names
    from .store import open_store

    return names(open_store(out))


def ask(text: str, out: Path, limits: Limits = Limits(), engine: str = "oxigraph") -> Answer:
    """Check a query, then answer it from the build in ``out``: the whole path of ``kzelect query``."""
    from .sparql import prepare

    prepared = prepare(text, graph_names(out))
    return run(prepared, out, limits, engine)
