"""The build: exports that two independent parsers read as one graph, byte-stable, all or nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph
from rdflib.compare import to_isomorphic

from conftest import FIXTURES
from kzelect import export, paths, store
from kzelect.build import build
from kzelect.cli import main
from kzelect.folder import OutputError

FORMATS = {
    export.TURTLE: ("turtle", pyoxigraph.RdfFormat.TURTLE),
    export.NTRIPLES: ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
    export.JSONLD: ("json-ld", pyoxigraph.RdfFormat.JSON_LD),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = CliRunner().invoke(main, ["build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def rdflib_triples(path: Path, fmt: str) -> set[tuple[str, str, str]]:
    graph = Graph().parse(path, format=fmt)
    return {(s.n3(), p.n3(), o.n3()) for s, p, o in graph}


def oxigraph_graph(path: Path, fmt) -> Graph:
    """Parse with pyoxigraph, then hand the triples to rdflib as N-Triples for comparison."""
    quads = pyoxigraph.parse(path.read_bytes(), format=fmt)
    text = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in quads)
    return Graph().parse(data=text, format="nt")


def test_build_writes_every_export(built):
    expected = {export.TURTLE, export.JSONLD, export.NTRIPLES, export.TRIG, export.CONTEXT,
                export.ONTOLOGY, export.SHAPES, export.MANIFEST}
    assert expected <= {p.name for p in built.iterdir()}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_rdflib_and_pyoxigraph_read_the_same_graph(built, name):
    rdflib_fmt, oxi_fmt = FORMATS[name]
    reference = Graph().parse(built / export.NTRIPLES, format="nt")
    assert len(reference) > 1000
    by_rdflib = Graph().parse(built / name, format=rdflib_fmt)
    by_oxigraph = oxigraph_graph(built / name, oxi_fmt)
    assert to_isomorphic(by_rdflib) == to_isomorphic(reference)
    assert to_isomorphic(by_oxigraph) == to_isomorphic(reference)


def test_trig_named_graphs_union_is_the_graph(built):
    dataset = Dataset().parse(built / export.TRIG, format="trig")
    union = Graph()
    names = set()
    for graph in dataset.graphs():
        if len(graph):
            names.add(str(graph.identifier))
            for triple in graph:
                union.add(triple)
    reference = Graph().parse(built / export.NTRIPLES, format="nt")
    assert to_isomorphic(union) == to_isomorphic(reference)
    assert all(name.startswith("https://w3id.org/kzelect/id/graph/") for name in names)
    quads = list(pyoxigraph.parse((built / export.TRIG).read_bytes(), format=pyoxigraph.RdfFormat.TRIG))
    assert {str(q.graph_name.value) for q in quads} == names


def test_jsonld_uses_only_the_inline_context(built):

    document = json.loads((built / export.JSONLD).read_text(encoding="utf-8"))
    context = json.loads((built / export.CONTEXT).read_text(encoding="utf-8"))
    assert document["@context"] == context["@context"]
    assert all(isinstance(v, str) for v in document["@context"].values())


def test_manifest_lists_every_file(built):
    import hashlib

    for line in (built / export.MANIFEST).read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((built / name).read_bytes()).hexdigest() == digest


def test_build_is_byte_identical_across_runs(built, tmp_path):
    """A second build in a fresh process with another hash seed writes the same bytes."""
    out = tmp_path / "again"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-m", "kzelect", "build", "--out", str(out)], check=True, env=env,
                   capture_output=True)
    for path in sorted(built.rglob("*")):
        if path.is_file() and "store" not in path.relative_to(built).parts:  # the query store is a database, not an export
            assert (out / path.relative_to(built)).read_bytes() == path.read_bytes(), path.name


def test_failed_build_leaves_earlier_outputs_intact(built, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    data = tmp_path / "data"
    shutil.copytree(paths.DATA, data)
    shutil.copy(FIXTURES / "data" / "invalid" / "quote-not-in-source.yaml", data / "records")
    result = CliRunner().invoke(main, ["build", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 2
    assert "quote-not-in-source.yaml" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_the_query_store_holds_what_the_exports_hold(built, tmp_path):
    """The build loads the query store from its quads while it writes the exports (store.loading); a query on an
    output folder without a store loads it from the exports (store.refresh): the two hold the same quads."""
    out = tmp_path / "dist"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns("store"))
    store.refresh(out)

    def quads(folder: Path) -> set[str]:
        return {str(quad) for quad in pyoxigraph.Store.read_only(str(store.database(folder)))}

    made, loaded = quads(built), quads(out)
    assert made == loaded
    assert any(q.endswith("<https://w3id.org/kzelect/id/graph/parties>") for q in made)  # the named graphs
    assert len({q for q in made if q.count("> <") + q.count('" <') == 2}) > 1000  # and the default graph (no 4th term)


def test_a_build_that_fails_while_the_store_loads_leaves_nothing_behind(built, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    def left() -> list[str]:  # beside the output folder, only its lock file may be new
        return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.name != ".dist.lock")

    before = left()

    def failing(quads):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "render", failing)
    with pytest.raises(OutputError, match="Nothing was changed"):
        build(out)
    assert left() == before
    assert not list(out.glob(".store-*"))
    assert store.refresh(out) == store.location(out)  # the earlier store is in place and current


def test_the_dataset_describes_itself(built):
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS

    from kzelect.namespaces import ID, VOID

    graph = Graph().parse(built / export.NTRIPLES, format="nt")
    dataset = URIRef(ID["dataset/kzelect"])
    assert int(graph.value(dataset, VOID.triples)) == len(graph)
    assert len(list(graph.objects(dataset, DCTERMS.source))) == 5


def test_trig_has_no_escaped_local_names(built):
    """Regression: TriG with `id:graph\\/parties` is valid Turtle 1.1, but Virtuoso 7 loads it with the backslash kept."""
    text = (built / export.TRIG).read_text(encoding="utf-8")
    assert not re.search(r"\b[a-z]+:[^\s\"<>]*\\[/#]", text)
    assert "<https://w3id.org/kzelect/id/graph/parties>" in text


def test_exports_are_readable_by_other_users(tmp_path):
    """Regression: files staged with mkstemp were left at mode 0600, unreadable by a triple store running as another user."""
    previous = os.umask(0o022)
    try:
        export.write({"a.nt": b"", "checks/b.rq": b""}, tmp_path / "out")
    finally:
        os.umask(previous)
    assert {oct((tmp_path / "out" / name).stat().st_mode & 0o777) for name in ("a.nt", "checks/b.rq")} == {"0o644"}


def test_jsonld_keeps_the_order_of_rdf_lists():
    """Regression: sorting every JSON array for stable output also reordered @list, changing the graph."""
    from rdflib.compare import isomorphic

    graph = Graph().parse(data="@prefix ex: <http://example.org/> . ex:a ex:p ( ex:z ex:b ex:m ) .", format="turtle")
    assert isomorphic(Graph().parse(data=export.to_jsonld(graph).decode("utf-8"), format="json-ld"), graph)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> Path:
    """The base fixture with a label that tries to break out of every syntax the exports use."""
    from conftest import data_with_label

    root = tmp_path_factory.mktemp("hostile-literal")
    label = 'Nur """Otan\n" . <a> <b> <c> .\n\'\'\' @prefix x: <y> . \\ "}]}, {"@id": "x"} </script>'
    data = data_with_label(root, label)
    out = root / "dist"
    result = CliRunner().invoke(main, ["build", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, label


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_literal_that_mimics_syntax_round_trips_through_every_export(hostile_build, name):
    out, label = hostile_build
    rdflib_fmt, oxi_fmt = FORMATS[name]
    reference = Graph().parse(out / export.NTRIPLES, format="nt")
    assert any(str(o) == label for o in reference.objects()), "the label itself"
    assert {t for t in Graph().parse(out / name, format=rdflib_fmt)} == set(reference)
    assert set(oxigraph_graph(out / name, oxi_fmt)) == set(reference)


def test_a_literal_that_mimics_syntax_round_trips_through_trig(hostile_build):
    out, _ = hostile_build
    reference = Graph().parse(out / export.NTRIPLES, format="nt")
    quads = pyoxigraph.parse((out / export.TRIG).read_bytes(), format=pyoxigraph.RdfFormat.TRIG)
    union = Graph().parse(data="".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in quads), format="nt")
    assert set(union) == set(reference)
