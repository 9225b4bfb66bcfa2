"""The record kinds of the data files and how each field maps to RDF.

Every record in ``data/records/*.yaml`` has an ``id`` of the form ``kind/slug``; the kind
selects one ``Kind`` below, which lists the fields a record of that kind may carry, their
types, and the predicate each becomes.  This table is the single description of the input
format: the loader checks records against it, the graph builder maps records with it, and
the tests check that the ontology and the shapes cover every class and predicate in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from .namespaces import KZE, ORG, SCHEMA

# Field types: str, date (YYYY, YYYY-MM or YYYY-MM-DD), int (not negative), decimal, bool,
# uri (http or https), ref (another record's id, of one of ``kinds``).
TYPES = ("str", "date", "int", "decimal", "bool", "uri", "ref")


@dataclass(frozen=True)
class Field:
    name: str
    predicate: URIRef
    type: str
    doc: str
    kinds: tuple[str, ...] = ()
    many: bool = False
    required: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    cls: URIRef
    doc: str
    fields: tuple[Field, ...] = ()
    cited: bool = True  # every record of this kind must cite at least one source
    concept: bool = False  # a SKOS concept of the scheme named after the kind
    periods: tuple[tuple[str, str], ...] = ()  # (start, end) date fields: the end may not precede the start

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def F(name, predicate, type_, doc, kinds=(), many=False, required=False) -> Field:
    if isinstance(kinds, str):
        kinds = (kinds,)
    return Field(name, predicate, type_, doc, tuple(kinds), many, required)


# Fields every record may carry; ``id`` and ``label`` are required.
COMMON = (
    F("label", SKOS.prefLabel, "str", "The preferred name (also written as rdfs:label).", required=True),
    F("altLabels", SKOS.altLabel, "str", "Every other name or spelling a source uses.", many=True),
    F("note", SKOS.editorialNote, "str", "A curator's note: why the record is modelled so.", many=True),
)
# ``cites`` is special: a list of {source, quote}; see kzelect.citations.
CITES = "cites"

AGENTS = ("person", "organization", "party", "mission", "body")
ANYTHING = AGENTS + ("place", "election", "event", "rule", "figure", "result", "report")

CONCEPT_KINDS = {
    "qualifier": "How a source hedges a figure: about, just under, more than, ...",
    "stance": "A political stance a source ascribes: pro-government, opposition, ...",
    "verdict": "The overall tenor of an assessment of an election.",
    "status": "The status of reported results: preliminary or final.",
    "measure": "What a figure measures: turnout, registered voters, seats, deaths, ...",
    "unit": "The unit of a figure's value: percent, persons, seats, ...",
    "role": "A role a person holds in an organization.",
    "event-type": "What kind of event: unrest, protest, suspension of a party, ...",
    "rule-type": "What kind of electoral rule: threshold, runner-up guarantee, ...",
    "mission-type": "What kind of observer mission: long-term, short-term, delegation, ...",
    "claim-type": "What kind of participant claim: own estimate, description, rejection, ...",
    "election-type": "What kind of election: parliamentary, presidential.",
    "place-type": "What kind of place: country, region, city, town, ...",
}

KINDS: dict[str, Kind] = {}


def _add(kind: Kind) -> None:
    assert kind.name not in KINDS, f"kind {kind.name} defined twice"
    KINDS[kind.name] = kind


for _name, _doc in CONCEPT_KINDS.items():
    _add(Kind(_name, SKOS.Concept, _doc, (
        F("definition", SKOS.definition, "str", "What the concept means.", required=True),
    ), cited=False, concept=True))

_add(Kind("source", KZE.SourceArticle, "A source article; its text ships in data/sources/.", (
    F("title", DCTERMS.title, "str", "The article's title as printed.", required=True),
    F("publisher", DCTERMS.publisher, "ref", "Who published it.", "organization", required=True),
    F("author", DCTERMS.creator, "ref", "Who wrote it, where stated.", "person", many=True),
    F("published", DCTERMS.issued, "date", "Date of publication."),
    F("publishedInferred", KZE.issuedInferred, "bool", "True where the date is not printed in the text."),
    F("url", SCHEMA.url, "uri", "Where it was published."),
    F("urlInferred", KZE.urlInferred, "bool", "True where the URL was found by title match, not printed."),
    F("language", DCTERMS.language, "str", "BCP 47 language tag.", required=True),
    F("file", KZE.textFile, "str", "File name of the text under data/sources/.", required=True),
    F("about", DCTERMS.subject, "ref", "The election(s) the article reports.", "election", many=True),
    F("synthetic", KZE.synthetic, "bool", "True marks generated data (`kzelect synth`), never to be published."),
), cited=False))

_add(Kind("document", KZE.SourceDocument, "A source document that is not an article: an official results publication, a protocol, "
          "a spreadsheet. Result tables are transcribed from documents.", (
    F("title", DCTERMS.title, "str", "The document's title as printed.", required=True),
    F("publisher", DCTERMS.publisher, "ref", "Who published it.", ("organization", "body"), required=True),
    F("url", SCHEMA.url, "uri", "Where it was published."),
    F("published", DCTERMS.issued, "date", "Date of publication."),
    F("language", DCTERMS.language, "str", "BCP 47 language tag."),
    F("synthetic", KZE.synthetic, "bool", "True marks generated data (`kzelect synth`), never to be published."),
), cited=False))

_add(Kind("table", KZE.ResultTable, "A table of results per reporting unit, transcribed from a source document; its rows are in "
          "data/tables/{file} (see *Result tables* below). Not quote-cited: each row is the citation of its facts.", (
    F("document", PROV.wasDerivedFrom, "ref", "The document it is transcribed from.", "document", required=True),
    F("election", KZE.election, "ref", "The election.", "election", required=True),
    F("file", KZE.tableFile, "str", "File name of the CSV under data/tables/ (its stem names the table's graph).", required=True),
    F("status", KZE.resultStatus, "ref", "Preliminary or final, where stated.", "status"),
    F("released", KZE.releasedOn, "date", "When the results were released, where stated."),
), cited=False))

_add(Kind("organization", KZE.Organization, "An organization (parties, legislatures and missions have kinds of their own).", (
    F("parent", ORG.subOrganizationOf, "ref", "The organization it is part of, where stated.", ("organization", "body"), many=True),
    F("location", SCHEMA.location, "ref", "Where it is based, where stated.", "place"),
)))

_add(Kind("party", KZE.PoliticalParty, "A political party or party-like movement.", (
    F("distinctFrom", OWL.differentFrom, "ref", "A similarly named but different party.", "party", many=True),
)))

_add(Kind("body", KZE.Legislature, "A legislative body, such as the Mazhilis.", (
    F("partOf", ORG.subOrganizationOf, "ref", "The body it is a chamber of.", ("body", "organization")),
    F("jurisdiction", KZE.jurisdiction, "ref", "The country it legislates for.", "place"),
)))

_add(Kind("person", KZE.Person, "A person named in a source.", ()))

_add(Kind("place", KZE.Place, "A country, region, city, town or site.", (
    F("placeType", KZE.placeType, "ref", "What kind of place.", "place-type", required=True),
    F("within", SCHEMA.containedInPlace, "ref", "The place it lies in, where stated.", "place"),
)))

_add(Kind("election", KZE.Election, "An election.", (
    F("date", SCHEMA.startDate, "date", "Polling day.", required=True),
    F("electionType", KZE.electionType, "ref", "Parliamentary or presidential.", "election-type", required=True),
    F("body", KZE.electedBody, "ref", "The body elected (parliamentary elections).", "body"),
    F("jurisdiction", KZE.jurisdiction, "ref", "The country.", "place", required=True),
    F("early", KZE.isEarlyElection, "bool", "True where a source calls it early or snap."),
    F("originallyScheduled", KZE.originallyScheduledFor, "date", "When it was due before being brought forward."),
    F("occasionedBy", KZE.occasionedBy, "ref", "The event(s) that made it necessary or called it.", "event", many=True),
)))

_add(Kind("rule", KZE.ElectoralRule, "An electoral rule in force at an election.", (
    F("ruleType", KZE.ruleType, "ref", "What kind of rule.", "rule-type", required=True),
    F("appliesTo", KZE.appliesTo, "ref", "The election(s) it governed.", "election", many=True, required=True),
    F("value", KZE.value, "decimal", "Its number, such as 7 for a 7 percent threshold."),
    F("unit", KZE.unit, "ref", "The unit of the value.", "unit"),
    F("appointingBody", KZE.appointingBody, "ref", "Who appoints the seats (appointed-seat rules).", "organization"),
    F("statedAs", KZE.statedAs, "str", "The rule in the source's own words.", required=True),
)))

_add(Kind("figure", KZE.Figure, "A number a source states about an election, event, person or place.", (
    F("subject", KZE.figureOf, "ref", "What the figure is about.", ANYTHING, required=True),
    F("measure", KZE.measure, "ref", "What it measures.", "measure", required=True),
    F("value", KZE.value, "decimal", "The number as stated (hedged by the qualifier).", required=True),
    F("qualifier", KZE.qualifier, "ref", "The source's hedge (about, just under, ...), if any.", "qualifier"),
    F("unit", KZE.unit, "ref", "The unit of the value.", "unit", required=True),
    F("statedAs", KZE.statedAs, "str", "The figure in the source's own words.", required=True),
    F("place", KZE.place, "ref", "Where the figure applies, if narrower than the subject.", "place"),
    F("attributedTo", KZE.attributedTo, "ref", "Who the source says gave the figure.", AGENTS, many=True),
    F("status", KZE.resultStatus, "ref", "Preliminary or final, where stated.", "status"),
    F("date", KZE.asOf, "date", "When the figure held, where stated."),
)))

_add(Kind("report", KZE.ResultReport, "A set of party results for one election as one source reports them.", (
    F("election", KZE.election, "ref", "The election.", "election", required=True),
    F("attributedTo", KZE.attributedTo, "ref", "Who the source says issued the results.", AGENTS, many=True),
    F("status", KZE.resultStatus, "ref", "Preliminary or final, where stated.", "status"),
    F("released", KZE.releasedOn, "date", "When the results were released, where stated."),
    F("complete", KZE.isComplete, "bool", "True where the report gives the votes of every contesting party."),
)))

_add(Kind("result", KZE.PartyResult, "One party's result in one result report.", (
    F("report", KZE.inReport, "ref", "The result report it belongs to.", "report", required=True),
    F("party", KZE.party, "ref", "The party.", "party", required=True),
    F("votes", KZE.votes, "int", "Votes, where stated."),
    F("share", KZE.voteShare, "decimal", "Share of the vote in percent, as stated."),
    F("shareQualifier", KZE.shareQualifier, "ref", "The source's hedge on the share, if any.", "qualifier"),
    F("shareStatedAs", KZE.shareStatedAs, "str", "The share in the source's own words."),
    F("passedThreshold", KZE.passedThreshold, "bool", "Whether the party passed the threshold, where stated."),
    F("seats", KZE.seats, "int", "Seats won, where stated."),
    F("rank", KZE.rank, "int", "Finishing position, where stated."),
)))

_add(Kind("membership", KZE.RoleHolding, "A person holding a role (role/...) in an organization, as a source states it.", (
    F("person", ORG.member, "ref", "Who.", "person", required=True),
    F("organization", ORG.organization, "ref", "In what.", ("organization", "party", "mission", "body"), required=True),
    F("role", ORG.role, "ref", "The role.", "role", required=True),
    F("title", KZE.statedTitle, "str", "The title in the source's own words.", required=True),
    F("since", KZE.since, "date", "Held since, where stated."),
    F("during", KZE.duringElection, "ref", "The election at which the source places it.", "election", many=True),
)))

_add(Kind("mission", KZE.ObserverMission, "An election observer mission or group of observers.", (
    F("observes", KZE.observes, "ref", "The election(s) observed.", "election", many=True, required=True),
    F("organizedBy", KZE.organizedBy, "ref", "The organization(s) that sent it.", ("organization", "body"), many=True),
    F("missionType", KZE.missionType, "ref", "What kind of mission.", "mission-type", required=True),
    F("partOf", KZE.partOfMission, "ref", "The larger mission it belongs to, where stated.", "mission"),
)))

_add(Kind("assessment", KZE.Assessment, "An observer's or official's assessment of an election.", (
    F("election", KZE.assessmentOf, "ref", "The election assessed.", "election", required=True),
    F("by", KZE.assessedBy, "ref", "The mission, organization or person whose assessment it is.", AGENTS, many=True, required=True),
    F("speaker", KZE.speaker, "ref", "Who said it, where named.", "person"),
    F("verdict", KZE.verdict, "ref", "Its overall tenor.", "verdict", required=True),
    F("statement", KZE.statement, "str", "The assessment's words; must appear in a cited quote.", required=True),
    F("date", KZE.date, "date", "When it was given, where stated."),
    F("place", KZE.place, "ref", "Where it was given, where stated.", "place"),
)))

_add(Kind("claim", KZE.ParticipantClaim, "A claim made by a participant: never a result.", (
    F("claimant", KZE.claimant, "ref", "Who made the claim.", AGENTS, required=True),
    F("about", KZE.claimAbout, "ref", "What the claim is about.", ANYTHING, many=True, required=True),
    F("claimType", KZE.claimType, "ref", "What kind of claim.", "claim-type", required=True),
    F("statement", KZE.statement, "str", "The claim's words; must appear in a cited quote.", required=True),
    F("measure", KZE.measure, "ref", "What a claimed figure measures.", "measure"),
    F("value", KZE.value, "decimal", "A claimed figure, hedged by the qualifier."),
    F("qualifier", KZE.qualifier, "ref", "The claimant's hedge, if any.", "qualifier"),
    F("unit", KZE.unit, "ref", "The unit of a claimed figure.", "unit"),
    F("date", KZE.date, "date", "When the claim was made, where stated."),
    F("place", KZE.place, "ref", "Where the claim was made, where stated.", "place"),
)))

_add(Kind("stance-attribution", KZE.StanceAttribution, "A stance (stance/...) a source ascribes to a party, organization or person.", (
    F("subject", KZE.stanceOf, "ref", "Whose stance.", AGENTS, required=True),
    F("stance", KZE.stance, "ref", "The stance.", "stance", required=True),
    F("during", KZE.duringElection, "ref", "The election at which the source ascribes it.", "election"),
    F("statedAs", KZE.statedAs, "str", "The stance in the source's own words.", required=True),
)))

_add(Kind("event", KZE.Event, "An event: unrest, a protest, a decision about a party, ...", (
    F("eventType", KZE.eventType, "ref", "What kind of event.", "event-type", required=True),
    F("date", SCHEMA.startDate, "date", "When it happened or began, where stated."),
    F("endDate", SCHEMA.endDate, "date", "When it ended, where stated; not before `date` (a partial date covers each of its days)."),
    F("place", SCHEMA.location, "ref", "Where.", "place", many=True),
    F("agent", KZE.decidedBy, "ref", "Who acted or decided.", AGENTS, many=True),
    F("participants", KZE.participant, "ref", "Who took part.", AGENTS, many=True),
    F("affects", KZE.affects, "ref", "Whom or what it affected.", ANYTHING, many=True),
    F("election", KZE.relatedElection, "ref", "The election it relates to.", "election", many=True),
    F("reason", KZE.statedReason, "str", "The reason, in the source's words, where stated."),
    F("ledTo", KZE.ledTo, "ref", "What followed from it, where stated.", ("event", "election"), many=True),
), periods=(("date", "endDate"),)))

_add(Kind("disagreement", KZE.Disagreement, "Sources that disagree on one figure, side by side.", (
    F("claims", KZE.disagreeingClaim, "ref", "Each source's own figure or result.", ("figure", "result"), many=True, required=True),
    F("preferred", KZE.preferredClaim, "ref", "The claim preferred, where there is a reason.", ("figure", "result")),
    F("reason", KZE.preferenceReason, "str", "Why it is preferred, or why none is."),
), cited=False))

ALL_FIELDS = ("id", CITES) + tuple(f.name for f in COMMON)


def kind_of(record_id: str) -> str:
    """The kind part of ``kind/slug``."""
    return record_id.split("/", 1)[0]
