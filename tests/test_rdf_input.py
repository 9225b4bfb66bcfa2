"""RDF files given to `kzelect validate FILE...` reach nothing outside themselves (issue 6, items 13-15).

Hostile fixtures (tests/fixtures/rdf_input/refused/, named after what they try) are copied with PORT set to
a listener on 127.0.0.1 and DIR to the copy's folder, then read in a child process under an audit hook
that records every file opened and every socket used; the child also reports its memory growth and is
killed after a generous time (a hang guard, not a time assertion).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import pyshacl
import pytest
from click.testing import CliRunner
from pyshacl.monkey import rdflib_bool_unpatch
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

import kzelect
from conftest import FIXTURES, listening
from kzelect import rdfinput
from kzelect.cli import main
from kzelect.errors import InputError
from kzelect.validate import load_shapes, validate, validate_files

HERE = FIXTURES / "rdf_input"
SECRET = (HERE / "context" / "secret.txt").read_text(encoding="utf-8").split()[0]
PASSWD = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0] if Path("/etc/passwd").exists() else SECRET
QUADRATIC = "rdfxml-quadratic-blowup.rdf"  # written by the `hostile` fixture: 1,000 references to a 20,000-character entity
BOMBS = ["rdfxml-billion-laughs.rdf", "trix-billion-laughs.trix", QUADRATIC]

REFUSED = {  # fixture -> (line, what the message says)
    "jsonld-context-in-a-context-object.jsonld": (3, "remote context not allowed: @context"),
    "jsonld-context-in-a-graph-node.jsonld": (6, "remote context not allowed: @context"),
    "jsonld-context-in-a-nested-list.jsonld": (2, "remote context not allowed: @context"),
    "jsonld-file-context.jsonld": (2, "remote context not allowed: @context"),
    "jsonld-http-context.jsonld": (2, "remote context not allowed: @context"),
    "jsonld-https-context-in-a-list.jsonld": (4, "remote context not allowed: @context"),
    "jsonld-import.jsonld": (4, "remote context not allowed: @import"),
    "jsonld-relative-context.jsonld": (2, "remote context not allowed: @context names the document \"../context/target.jsonld\""),
    "jsonld-scoped-context-in-a-term.jsonld": (6, "remote context not allowed: @context"),
    "rdfxml-attribute-default.rdf": (3, "default value for attribute ex:injected"),
    "rdfxml-billion-laughs.rdf": (4, "entity &lol1; refers to other entities"),
    "rdfxml-external-dtd.rdf": (2, "the DOCTYPE names an external DTD"),
    "rdfxml-external-entity-etc-passwd.rdf": (4, "external entity &xxe; (file:///etc/passwd): refused"),
    "rdfxml-external-entity-http.rdf": (3, "external entity &xxe; (http://127.0.0.1:"),
    "rdfxml-external-entity-local-file.rdf": (2, "external entity &xxe; (file://"),
    "rdfxml-parameter-entity.rdf": (3, "parameter entity %remote;"),
    "rdfxml-unparsed-entity.rdf": (4, "external entity &picture;"),
    "trix-billion-laughs.trix": (4, "entity &lol1; refers to other entities"),
    "trix-external-entity.trix": (3, "external entity &xxe; (http://127.0.0.1:"),
    QUADRATIC: (None, "its entities could expand it by up to 20000000 characters"),
}
UNREADABLE = {  # fixture -> (where, what the message says)
    "json-number.jsonld": (":1:", "a JSON-LD document is a JSON object or array"),
    "latin1-bytes.jsonld": (":2:", "not UTF-8 text"),
    "no-extension": (": ", "unknown RDF file extension (none); name the file with one of .ttl"),
    "ntriples-missing-object.nt": (":2:47:", "not valid N-Triples: The object of a triple must be"),
    "png-named-turtle.ttl": (":1:1:", "not valid Turtle: Invalid UTF-8"),
    "rdfxml-mismatched-tag.rdf": (":4:", "not valid RDF/XML: mismatched tag"),
    "turtle-missing-object.ttl": (":3:11:", "not valid Turtle: . is not a valid RDF object"),
    "turtle-named-jsonld.jsonld": (":1:1:", "not valid JSON: Expecting value"),
    "unknown-extension.txt": (": ", "unknown RDF file extension '.txt'"),
}

AUDITED_READ = r"""
import json, resource, sys, time
from pathlib import Path
from kzelect import rdfinput

files = json.loads(sys.argv[1])
for warm_up in files["warm_up"]:  # rdflib loads its parsers lazily: their modules are opened once, before the hook
    rdfinput.read(Path(warm_up))
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # should a bomb expand, fail at 2 GiB rather than swap
events = []
watched = ("open", "socket.", "urllib.", "http.", "subprocess.", "os.system")
sys.addaudithook(lambda event, args: events.append([event, str(args[0]) if args else ""]) if event.startswith(watched) else None)
for name in files["read"]:
    events.clear()
    peak, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
    try:
        rdfinput.read(Path(name))
        error = ""
    except Exception as raised:
        error = str(raised)
    seconds = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    print(json.dumps({"file": name, "error": error, "events": list(events), "seconds": seconds, "grown_kib": grown}), flush=True)
"""


@pytest.fixture(scope="module")
def listener():
    with listening() as port_and_connections:
        yield port_and_connections


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, listener) -> Path:
    """The fixtures, copied with PORT and DIR filled in, plus a quadratic-blowup file (too big to keep)."""
    root = tmp_path_factory.mktemp("rdf_input")
    shutil.copytree(HERE, root, dirs_exist_ok=True)
    for path in root.glob("*/*"):
        text = path.read_bytes().replace(b"PORT", str(listener[0]).encode()).replace(b"DIR", str(root).encode())
        path.write_bytes(text)
    (root / "refused" / QUADRATIC).write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY big "{"x" * 20_000}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
        f'<rdf:Description rdf:about="http://example.org/a"><ex:p>{"&big;" * 1000}</ex:p></rdf:Description>\n</rdf:RDF>\n',
        encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def audited(hostile) -> dict[str, dict]:
    """Every refused file read in a child process under an audit hook: file name -> what happened."""
    files = {"warm_up": [str(p) for p in sorted((hostile / "readable").iterdir())],
             "read": [str(p) for p in sorted((hostile / "refused").iterdir())]}
    env = {**os.environ, "PYTHONPATH": str(Path(kzelect.__file__).parents[1])}
    try:
        child = subprocess.run([sys.executable, "-c", AUDITED_READ, json.dumps(files)], capture_output=True, text=True,
                               timeout=60, env=env, cwd=hostile)
    except subprocess.TimeoutExpired as hung:
        done = (hung.stdout or b"").splitlines()
        pytest.fail(f"reading {files['read'][len(done)]} hung (killed after 60 s)")
    assert child.returncode == 0, child.stderr
    results = {Path(r["file"]).name: r | {"output": child.stdout + child.stderr}
               for r in map(json.loads, child.stdout.splitlines())}
    assert set(results) == set(REFUSED)
    return results


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_rdf_input_is_refused_naming_the_file_and_line(audited, hostile, name):
    line, expected = REFUSED[name]
    error = audited[name]["error"]
    assert expected in error
    assert error.startswith(f"{hostile / 'refused' / name}:{line}: " if line else f"{hostile / 'refused' / name}: ")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_rdf_input_opens_nothing_but_itself_and_no_socket(audited, hostile, name):
    events = audited[name]["events"]
    assert events == [["open", str(hostile / "refused" / name)]], events


def test_the_listener_records_no_connection(audited, listener):
    assert listener[1] == []


def test_no_content_of_an_outside_file_reaches_the_output(audited, hostile):
    xxe = sorted((hostile / "refused").glob("*external-entity*")) + [hostile / "refused" / "rdfxml-unparsed-entity.rdf"]
    output = next(iter(audited.values()))["output"] + CliRunner().invoke(main, ["validate", *map(str, xxe)]).output
    assert "external entity &xxe; (file:///etc/passwd)" in output
    assert PASSWD not in output and SECRET not in output


@pytest.mark.parametrize("name", BOMBS)
def test_an_entity_bomb_is_refused_without_expanding(audited, name):
    assert "refused" in audited[name]["error"]
    assert audited[name]["grown_kib"] < 20_000, audited[name]


def test_all_unreadable_files_are_listed_at_once(hostile):
    files = [hostile / "unreadable" / name for name in sorted(UNREADABLE)] + [hostile / "refused" / name for name in sorted(REFUSED)]
    with pytest.raises(InputError) as raised:
        validate_files(files + [hostile / "missing.ttl"])
    lines = str(raised.value).splitlines()
    assert len(lines) == len(files) + 1
    for file in files:
        assert any(line.startswith(str(file)) for line in lines), file
    assert f"{hostile / 'missing.ttl'}: cannot read the file: No such file or directory" in lines


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_an_unreadable_file_is_named_with_its_line_and_why(hostile, name):
    where, expected = UNREADABLE[name]
    with pytest.raises(InputError) as raised:
        rdfinput.read(hostile / "unreadable" / name)
    assert str(raised.value).startswith(f"{hostile / 'unreadable' / name}{where}")
    assert expected in str(raised.value)


def test_the_cli_lists_every_unreadable_file_and_exits_2(hostile):
    files = sorted((hostile / "unreadable").iterdir())
    result = CliRunner().invoke(main, ["validate", *map(str, files)])
    assert result.exit_code == 2
    assert all(str(f) in result.output for f in files) and "Traceback" not in result.output


def test_an_inline_jsonld_context_keeps_working_with_scoped_contexts():
    graph = rdfinput.read(HERE / "readable" / "inline-context.jsonld")
    a, b = URIRef("http://example.org/a"), URIRef("http://example.org/b")
    assert (a, URIRef("http://xmlns.com/foaf/0.1/knows"), b) in graph
    assert (b, URIRef("http://xmlns.com/foaf/0.1/nick"), Literal("b")) in graph


def test_plain_internal_entities_in_rdfxml_keep_working():
    graph = rdfinput.read(HERE / "readable" / "internal-entities.rdf")
    assert set(graph) == {(URIRef("http://example.org/a"), URIRef("http://example.org/seats"), Literal("98", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")))}


@pytest.mark.parametrize("name", ["named-graphs.trig", "named-graphs.nq", "named-graphs.trix"])
def test_triples_in_named_graphs_are_read_not_dropped(name):
    assert {str(s) for s in rdfinput.read(HERE / "readable" / name).subjects()} == {"http://example.org/a", "http://example.org/b"}


def imports(port: int) -> Graph:
    graph = Graph()
    graph.add((URIRef("http://example.org/ontology"), RDF.type, OWL.Ontology))
    graph.add((URIRef("http://example.org/ontology"), OWL.imports, URIRef(f"http://127.0.0.1:{port}/ontology.ttl")))
    return graph


def test_owl_imports_in_a_data_file_are_not_followed(tmp_path, listener):
    data = tmp_path / "imports.ttl"
    imports(listener[0]).serialize(data, format="turtle")
    assert validate_files([data]).conforms
    assert listener[1] == []


def test_owl_imports_in_the_shapes_are_not_followed(listener):
    shapes = load_shapes() + imports(listener[0])
    assert validate(imports(listener[0]), shapes=shapes, checks={}).conforms
    assert listener[1] == []


def test_pyshacl_is_told_explicitly_not_to_follow_owl_imports(monkeypatch):
    calls = []
    monkeypatch.setattr(pyshacl, "validate", lambda *args, **kwargs: calls.append(kwargs) or (True, Graph(), ""))
    validate(Graph(), shapes=Graph(), checks={})
    assert calls[0]["do_owl_imports"] is False


def test_the_listener_would_see_an_unguarded_fetch(tmp_path):
    """The control: without the guards, rdflib fetches a remote context and pyshacl follows owl:imports."""
    with listening() as (port, connections):
        remote = tmp_path / "remote.jsonld"
        remote.write_text(json.dumps({"@context": f"http://127.0.0.1:{port}/context.jsonld", "@id": "http://example.org/a"}))
        with suppress(Exception):
            Graph().parse(remote, format="json-ld")
        with suppress(Exception):
            pyshacl.validate(Graph(), shacl_graph=load_shapes() + imports(port), do_owl_imports=True)
        # pyshacl patches rdflib while it loads the shapes (no literal normalisation, another xsd:boolean parser)
        # and unpatches only when loading succeeds: undo it, or later tests see rdflib patched
        rdflib_bool_unpatch()
        assert len(connections) == 2


def test_a_device_named_like_an_rdf_file_is_refused_without_reading_it(tmp_path):
    """A symlink to /dev/zero named .ttl would otherwise be read until memory runs out."""
    device = tmp_path / "endless.ttl"
    device.symlink_to("/dev/zero")
    with pytest.raises(InputError, match=f"{device}: not a regular file"):
        rdfinput.read(device)
