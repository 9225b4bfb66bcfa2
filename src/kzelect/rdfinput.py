"""Reading RDF files that users give (``kzelect validate FILE...``) without reaching anything else.

rdflib would fetch what some documents name, and its RDF/XML parser expands entities without bound:

- a JSON-LD ``@context`` or ``@import`` that is a string (``http:``, ``https:``, ``file:`` or a relative
  reference, at any depth, in a list or in a term definition) is fetched from the network or the disk;
- an XML DOCTYPE can name an external DTD or external entities (XXE: ``file:///etc/passwd``), or nest
  entities that expand exponentially ("billion laughs": rdflib spins on one for minutes).

Both are refused before rdflib sees the file, naming the file and line. Plain internal entities, common
in RDF/XML (``<!ENTITY xsd "http://www.w3.org/2001/XMLSchema#">``), are kept. ``owl:imports`` is never
followed: rdflib and pyoxigraph do not, and ``validate`` calls pyshacl with ``do_owl_imports=False``.
"""

from __future__ import annotations

import json
import pyexpat
import re
from pathlib import Path

import pyoxigraph
from rdflib import Dataset, Graph
from rdflib.parser import PythonInputSource
from rdflib.plugins.parsers.notation3 import BadSyntax

from .errors import InputError
from .graph import GRAPH_BASE
from .progress import step
from .quads import Quads

FORMATS = {  # file extension -> rdflib format
    ".ttl": "turtle", ".n3": "n3", ".nt": "nt", ".nq": "nquads", ".trig": "trig",
    ".rdf": "xml", ".owl": "xml", ".xml": "xml", ".trix": "trix", ".jsonld": "json-ld", ".json": "json-ld",
}
NAMES = {"turtle": "Turtle", "n3": "N3", "nt": "N-Triples", "nquads": "N-Quads", "trig": "TriG", "xml": "RDF/XML",
         "trix": "TriX", "json-ld": "JSON-LD"}
XML_FORMATS = {"xml", "trix"}
OXIGRAPH = {"turtle": pyoxigraph.RdfFormat.TURTLE, "n3": pyoxigraph.RdfFormat.N3, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
            "nquads": pyoxigraph.RdfFormat.N_QUADS, "trig": pyoxigraph.RdfFormat.TRIG, "xml": pyoxigraph.RdfFormat.RDF_XML}
FAST = {"nt", "nquads", "turtle", "trig"}  # read by pyoxigraph for validation (read_quads)
ENTITY_BUDGET = 16 * 2**20  # characters a DOCTYPE's entities may add to a document, at most
CONTEXT_KEYS = ("@context", "@import")


class Unreadable(ValueError):
    """Why a file cannot be read, and where when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line, self.column = line, column


class _EndOfProlog(Exception):
    pass


def read_all(files: list[Path]) -> Graph:
    """The union of the files' triples; one InputError listing every file that cannot be read."""
    graph = Graph()
    for part in _each(files, lambda file, _: read(file)):
        graph += part
        for prefix, namespace in part.namespaces():
            graph.bind(prefix, namespace, override=False)
    return graph


def read_quads(files: list[Path]) -> Quads:
    """The files' triples (of all their graphs), a named graph per file, for ``validate_quads``.

    N-Triples, N-Quads, Turtle and TriG name nothing to fetch, so pyoxigraph reads them (rdflib takes minutes on
    millions of triples); a file it cannot read, and every other format, is read by ``read``, so what is refused
    and how an error is reported stay as they are. Each file's blank nodes are its own. One InputError lists every
    file that cannot be read.
    """
    return Quads({name: data for part in _each(files, _quads) for name, data in part.graphs.items()})


def _each(files: list[Path], reader) -> list:
    """``reader(file, number)`` of each file; one InputError listing every file that cannot be read."""
    parts, problems = [], []
    for number, file in enumerate(files, 1):
        try:
            with step(f"read {Path(file).name}"):
                parts.append(reader(Path(file), number))
        except InputError as error:
            problems.append(str(error))
    if problems:
        raise InputError("\n".join(problems))
    return parts


def _quads(path: Path, number: int) -> Quads:
    name = f"file-{number}"
    fmt = format_of(path)
    if fmt in FAST:
        data = _bytes(path)
        try:
            triples = [_own_blank_nodes(quad.triple, f"f{number}")
                       for quad in pyoxigraph.parse(data, format=OXIGRAPH[fmt], base_iri=path.resolve().as_uri())]
        except Exception:  # noqa: BLE001 - pyoxigraph's SyntaxError and the like
            pass  # read() reports it as for any file, or reads what rdflib accepts and Oxigraph does not
        else:
            return Quads({f"{GRAPH_BASE}{name}": pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)})
    return Quads.of_graph(read(path), name)


def _own_blank_nodes(triple: pyoxigraph.Triple, tag: str) -> pyoxigraph.Triple:
    subject, obj = triple.subject, triple.object
    if type(subject) is not pyoxigraph.BlankNode and type(obj) is not pyoxigraph.BlankNode:
        return triple
    if type(subject) is pyoxigraph.BlankNode:
        subject = pyoxigraph.BlankNode(tag + subject.value)
    if type(obj) is pyoxigraph.BlankNode:
        obj = pyoxigraph.BlankNode(tag + obj.value)
    return pyoxigraph.Triple(subject, triple.predicate, obj)


def read(path: Path) -> Graph:
    """One RDF file's triples (of all its graphs), the format told by its extension.

    InputError names the file (and line, column) if the extension is unknown, the file cannot be read,
    it is not valid in its format, or it is refused (see the module's docstring).
    """
    fmt = format_of(path)
    data = _bytes(path)
    try:
        return _parse(data, fmt, Path(path).resolve().as_uri())
    except Unreadable as error:
        raise InputError(_where(path, error.line, error.column) + str(error)) from None
    except Exception as error:  # rdflib's parsers raise many types, most without a line
        line, column, message = _locate(error, data, fmt)
        raise InputError(f"{_where(path, line, column)}not valid {NAMES[fmt]}: {message}") from None


def _bytes(path: Path) -> bytes:
    if Path(path).exists() and not Path(path).is_file():
        raise InputError(f"{path}: not a regular file (a device, a pipe or a folder); give an RDF file")
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None


def format_of(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown RDF file extension {repr(suffix) if suffix else '(none)'}; name the file with one of "
                         f"{', '.join(FORMATS)}")
    return FORMATS[suffix]


def _parse(data: bytes, fmt: str, base: str) -> Graph:
    dataset = Dataset()
    if fmt == "json-ld":
        source = PythonInputSource(_jsonld(data), system_id=base)
        source.setPublicId(base)
        dataset.parse(source=source, format=fmt)
    else:
        if fmt in XML_FORMATS:
            refuse_unsafe_doctype(data)
        dataset.parse(data=data, format=fmt, publicID=base)
    graph = Graph()
    for prefix, namespace in dataset.namespaces():
        graph.bind(prefix, namespace)
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph


def _jsonld(data: bytes):
    try:
        document = json.loads(data)
    except json.JSONDecodeError as error:
        raise Unreadable(f"not valid JSON: {error.msg}", error.lineno, error.colno) from None
    except UnicodeDecodeError as error:
        raise Unreadable(f"not UTF-8 text: {error.reason} (at byte {error.start})", data.count(b"\n", 0, error.start) + 1) from None
    if not isinstance(document, (dict, list)):
        raise Unreadable("a JSON-LD document is a JSON object or array", 1)
    refuse_remote_contexts(document, data)
    return document


def refuse_remote_contexts(document, data: bytes = b"") -> None:
    """Refuse an @context or @import anywhere that names a document (rdflib would fetch it): only inline contexts."""
    for key, value in _members(document):
        if key in CONTEXT_KEYS:
            for name in _flatten(value):
                if isinstance(name, str):
                    raise Unreadable(f"remote context not allowed: {key} names the document {json.dumps(name)}, which would "
                                     "be fetched; a remote JSON-LD context (URL, file: IRI or relative reference) is never "
                                     "read. Fix: embed the context object instead", _line_of(data, name))


def _members(node):
    """Every (key, value) of every JSON object in ``node``, at any depth (without recursion)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield from node.items()
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _flatten(value):
    """The items of a value and of its nested lists (a context may be a list of lists)."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        else:
            yield value


def _line_of(data: bytes, name: str) -> int | None:
    index = data.find(json.dumps(name, ensure_ascii=False).encode("utf-8"))
    return data.count(b"\n", 0, index) + 1 if index >= 0 else None


def refuse_unsafe_doctype(data: bytes) -> None:
    """Refuse a DOCTYPE that reaches outside the file or can expand without bound; keep plain internal entities.

    Only the prolog is read (up to the root element), by expat, each declaration checked as it comes.
    """
    parser, longest = pyexpat.ParserCreate(), 0
    outside = "refused, nothing outside the file is read"

    def refuse(message: str):
        raise Unreadable(message, parser.CurrentLineNumber)

    def doctype(name, system_id, public_id, has_internal_subset):
        if system_id or public_id:
            refuse(f"the DOCTYPE names an external DTD {system_id or public_id!r}: {outside}")

    def entity(name, is_parameter, value, base, system_id, public_id, notation):
        nonlocal longest
        if is_parameter:
            refuse(f"parameter entity %{name};: {outside} and parameter entities are not expanded")
        if value is None:
            refuse(f"external entity &{name}; ({system_id or public_id}): {outside}")
        if any(c in value for c in "&%<"):
            refuse(f"entity &{name}; refers to other entities or holds markup: refused, nested entities are how "
                   "entity-expansion bombs (billion laughs) work; spell the value out")
        longest = max(longest, len(value))

    def attribute_list(element, attribute, kind, default, required):
        if default is not None:
            refuse(f"default value for attribute {attribute} of {element}: refused, it adds data that is not in the document")

    def skipped(name, is_parameter):
        refuse(f"reference to the undeclared entity {'%' if is_parameter else '&'}{name};: refused")

    def root(name, attributes):
        raise _EndOfProlog

    parser.StartDoctypeDeclHandler, parser.EntityDeclHandler = doctype, entity
    parser.AttlistDeclHandler, parser.SkippedEntityHandler, parser.StartElementHandler = attribute_list, skipped, root
    try:
        parser.Parse(data, True)
    except _EndOfProlog:
        pass
    except pyexpat.ExpatError as error:
        raise Unreadable(f"not well-formed XML: {pyexpat.ErrorString(error.code)}", error.lineno, error.offset + 1) from None
    expansion = longest * data.count(b"&")  # at most: every "&" a reference to the longest entity
    if expansion > ENTITY_BUDGET:
        raise Unreadable(f"its entities could expand it by up to {expansion} characters: refused, over the limit of "
                         f"{ENTITY_BUDGET}; spell the values out")


Location = tuple[int | None, int | None, str]


def _locate(error: Exception, data: bytes, fmt: str) -> Location:
    """Where a parse error is. rdflib's parsers seldom say (none for N-Triples), Oxigraph's do: ask both, prefer a line."""
    found = [_oxigraph_error(data, fmt), _rdflib_error(error)]
    return next((f for f in found if f and f[0]), None) or next(f for f in found if f)


def _oxigraph_error(data: bytes, fmt: str) -> Location | None:
    if fmt not in OXIGRAPH:
        return None
    try:
        for _ in pyoxigraph.parse(data, format=OXIGRAPH[fmt], base_iri="file:///"):
            pass
    except SyntaxError as error:
        return error.lineno, error.offset, re.sub(r"^Parser error (at|between) .*?: ", "", error.msg)
    except Exception:  # not a syntax error Oxigraph can place: rdflib's message is used
        return None
    return None


def _rdflib_error(error: Exception) -> Location:
    if isinstance(error, BadSyntax):  # Turtle, TriG, N3
        why = re.search(r"Bad syntax \((.*)\) at \^", str(error))
        return error.lines + 1, None, why[1] if why else str(error)
    located = re.match(r"\S*?:(\d+):(\d+): (.*)", str(error), re.DOTALL)  # RDF/XML and TriX: "<unknown>:3:40: ..."
    if located:
        return int(located[1]), int(located[2]) + 1, located[3]
    return None, None, (str(error).splitlines() or [type(error).__name__])[0]


def _where(path: Path, line: int | None, column: int | None) -> str:
    return f"{path}:" + (f"{line}:" if line else "") + (f"{column}:" if line and column else "") + " "
