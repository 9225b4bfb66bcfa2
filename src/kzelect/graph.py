"""From checked records to RDF: small pure functions, a record in, triples out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from . import __version__
from .data import DATASET_GRAPH, DEPRECATIONS_GRAPH, CuratedData, Deprecation
from .namespaces import BASE, DCAT, ID, KZE, OA, ONTOLOGY_IRI, VOID, bind_prefixes
from .records import Record
from .schema import COMMON, CONCEPT_KINDS, Field
from .sources import SourceText, Span

Triple = tuple[URIRef, URIRef, object]
GRAPH_BASE = ID["graph/"]
DATASET = ID["dataset/kzelect"]


def uri(record_id: str) -> URIRef:
    return ID[record_id]


def quote_uri(source_id: str, span: Span) -> URIRef:
    slug = source_id.split("/", 1)[1]
    return ID[f"quote/{slug}-{span.start}-{span.end}"]


def literal(spec: Field, value) -> object:
    if spec.type == "ref":
        return uri(value)
    if spec.type == "uri":
        return URIRef(value)
    if spec.type == "date":
        datatype = {10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}[len(value)]
        return Literal(value, datatype=datatype)
    if spec.type == "int":
        return Literal(str(value), datatype=XSD.integer)
    if spec.type == "decimal":
        text = format(value, "f")
        return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)  # canonical form
    if spec.type == "bool":
        return Literal("true" if value else "false", datatype=XSD.boolean)
    if spec.predicate in (SKOS.prefLabel, SKOS.altLabel):
        return Literal(value, lang="en")
    return Literal(value)


def record_triples(record: Record) -> Iterator[Triple]:
    """The triples a record's own fields state."""
    subject, kind = uri(record.id), record.kind
    yield subject, RDF.type, kind.cls
    if kind.concept:
        yield subject, SKOS.inScheme, ID[f"scheme/{kind.name}"]
    yield subject, RDFS.label, Literal(record.get("label"), lang="en")
    for spec in COMMON + kind.fields:
        value = record.values.get(spec.name)
        if value is None:
            continue
        for item in value if spec.many else [value]:
            yield subject, spec.predicate, literal(spec, item)


def citation_triples(record: Record, source_id: str, span: Span) -> Iterator[Triple]:
    """A Web Annotation tying a record to the quoted span of its source."""
    fact, source, citation = uri(record.id), uri(source_id), quote_uri(source_id, span)
    target, quote, position = (URIRef(f"{citation}#{part}") for part in ("target", "quote", "position"))
    yield fact, KZE.citation, citation
    yield fact, PROV.wasDerivedFrom, source
    yield citation, RDF.type, KZE.Citation
    yield citation, RDF.type, OA.Annotation
    yield citation, OA.motivatedBy, OA.describing
    yield citation, OA.hasBody, fact
    yield citation, OA.hasTarget, target
    yield target, RDF.type, OA.SpecificResource
    yield target, OA.hasSource, source
    yield target, OA.hasSelector, quote
    yield target, OA.hasSelector, position
    yield quote, RDF.type, OA.TextQuoteSelector
    yield quote, OA.exact, Literal(span.exact)
    yield quote, OA.prefix, Literal(span.prefix)
    yield quote, OA.suffix, Literal(span.suffix)
    yield position, RDF.type, OA.TextPositionSelector
    yield position, OA.start, Literal(str(span.start), datatype=XSD.nonNegativeInteger)
    yield position, OA.end, Literal(str(span.end), datatype=XSD.nonNegativeInteger)


def source_triples(record: Record, text: SourceText) -> Iterator[Triple]:
    subject = uri(record.id)
    yield subject, KZE.sha256, Literal(text.sha256)
    yield subject, KZE.characterCount, Literal(str(len(text.text)), datatype=XSD.integer)


def scheme_triples(kind: str) -> Iterator[Triple]:
    scheme = ID[f"scheme/{kind}"]
    label = Literal(kind.replace("-", " "), lang="en")
    yield scheme, RDF.type, SKOS.ConceptScheme
    yield scheme, SKOS.prefLabel, label
    yield scheme, RDFS.label, label
    yield scheme, SKOS.definition, Literal(CONCEPT_KINDS[kind])


def result_triples(record: Record, reports: dict[str, Record]) -> Iterator[Triple]:
    report = reports[record.get("report")]
    yield uri(record.id), KZE.election, uri(report.get("election"))


def deprecation_triples(deprecation: Deprecation) -> Iterator[Triple]:
    yield uri(deprecation.id), OWL.deprecated, Literal("true", datatype=XSD.boolean)
    yield uri(deprecation.id), DCTERMS.isReplacedBy, uri(deprecation.replaced_by)


def dataset_triples(data: CuratedData, triples: int) -> Iterator[Triple]:
    """A VoID / DCAT description of the graph itself: what it is, its version, its sources."""
    yield DATASET, RDF.type, VOID.Dataset
    yield DATASET, RDF.type, DCAT.Dataset
    yield DATASET, DCTERMS.title, Literal("kzelect: Kazakhstan's Mazhilis elections of 2007 and 2012", lang="en")
    yield DATASET, DCTERMS.description, Literal(
        "Parties and results, officials, observer missions and their verdicts, and events such as the Zhanaozen "
        "unrest, each fact cited to the exact quoted span of a named source article.", lang="en")
    yield DATASET, DCTERMS.hasVersion, Literal(__version__)
    yield DATASET, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI)
    yield DATASET, VOID.uriSpace, Literal(str(ID))
    yield DATASET, VOID.triples, Literal(str(triples), datatype=XSD.integer)
    yield DATASET, DCAT.landingPage, URIRef(BASE)
    for record in data.records:
        if record.kind.name == "source":
            yield DATASET, DCTERMS.source, uri(record.id)


def triples_by_graph(data: CuratedData) -> dict[str, list[Triple]]:
    """Every triple of the graph, grouped by the data file (named graph) it comes from."""
    groups: dict[str, list[Triple]] = defaultdict(list)
    by_id = data.by_id()
    for record in data.records:
        out = groups[record.graph_name]
        out.extend(record_triples(record))
        for cite in record.cites:
            out.extend(citation_triples(record, cite.source, data.spans[(record.id, cite)]))
        if record.kind.name == "source":
            out.extend(source_triples(record, data.texts[record.id]))
        if record.kind.name == "result":
            out.extend(result_triples(record, by_id))
    for kind in sorted({r.kind.name for r in data.records if r.kind.concept}):
        groups["vocabularies"].extend(scheme_triples(kind))
    for deprecation in data.deprecations:
        groups[DEPRECATIONS_GRAPH].extend(deprecation_triples(deprecation))
    description = list(dataset_triples(data, 0))
    total = len({t for triples in groups.values() for t in triples}) + len(description)
    groups[DATASET_GRAPH] = list(dataset_triples(data, total))
    return dict(groups)


def named_graphs(groups: dict[str, list[Triple]]) -> Dataset:
    """The graph as a dataset of named graphs, one per data file."""
    dataset = bind_prefixes(Dataset())
    for name, triples in sorted(groups.items()):
        graph = dataset.graph(GRAPH_BASE + name)
        for triple in triples:
            graph.add(triple)
    return dataset


def union_graph(groups: dict[str, list[Triple]]) -> Graph:
    """The union of all named graphs as one graph."""
    graph = bind_prefixes(Graph())
    for triples in groups.values():
        for triple in triples:
            graph.add(triple)
    return graph


def build_dataset(data: CuratedData) -> Dataset:
    return named_graphs(triples_by_graph(data))


def build_graph(data: CuratedData) -> Graph:
    return union_graph(triples_by_graph(data))
