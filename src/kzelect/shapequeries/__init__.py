"""SHACL validation at scale: the shapes compiled into whole-graph SPARQL queries run on a pyoxigraph store.

pyshacl evaluates each constraint once per focus node (and parses a SHACL-SPARQL constraint anew for each);
here each constraint becomes a query that finds all its violations at once::

    compiled = compile_shapes(shapes)        # raises Unsupported, naming every feature it cannot compile
    results = run(store, compiled)           # validates the union of the store's named graphs
    results == reference(graph, shapes)      # pyshacl on the same graph, normalised to the same Results

The semantics are pyshacl's (inference="none", advanced=True): sh:class follows rdf:type/rdfs:subClassOf* in
the data graph; sh:closed gives one result per (focus, predicate, object); sh:or, sh:qualifiedValueShape and
the property shapes of sh:or members are conformance tests compiled into FILTER (NOT) EXISTS; results of a
shape carry its sh:message (a result with several messages becomes one Result per message, their language
dropped); sh:minCount, sh:maxCount, sh:hasValue and qualified counts give no sh:value; a SHACL-SPARQL message's
{?var} and {$var} are filled in as pyshacl fills them (re.sub with str() of the value; unbound ones stay).

A SHACL-SPARQL constraint is lifted to one query: the focus nodes are joined first into its WHERE group, which
pre-binding $this amounts to where $this is used in the outer group, in its OPTIONALs and FILTER (NOT)
EXISTS, or only in triple patterns of nested groups and unions; with aggregates the query must also GROUP BY
$this. Another query is run once per focus node (pyoxigraph ``substitutions``). The union graph repeats a
triple found in several named graphs, which changes SUM, COUNT, AVG and GROUP_CONCAT: a query with one has its
pattern deduplicated (SELECT DISTINCT *), allowed only where the pattern is plain triples (no paths, no blank
nodes), FILTERs and BINDs; any other such query is Unsupported.

How Oxigraph (0.5) runs them shapes the queries: the focus nodes are a pattern, not a subquery (which its
planner cannot see into); each triple pattern is in a GRAPH of its own where the default graph is empty (the
union default graph is about ten times slower); paths are spelt out as triple patterns, and a FILTER NOT
EXISTS holds a single triple pattern (it plans a longer one without the variables bound outside it: every
citation of every record for each record); sh:maxCount 1 is tested in the query of the value constraints and
sh:minCount 1 in one query per set of focus classes, rather than by grouping and counting.

What a pyoxigraph store cannot tell apart, the fast path cannot either:
- the store keeps literal values, not spellings: "7.0"^^xsd:decimal reads back as "7", and xsd:nonNegativeInteger
  (and the other integer subtypes) as xsd:integer; so sh:datatype xsd:nonNegativeInteger is checked as "an
  xsd:integer of at least 0", and an xsd:integer or xsd:int literal where it expects xsd:nonNegativeInteger (or
  the reverse) goes unreported. Results render terms as the store holds them, on both sides (``reference``
  canonicalises pyshacl's terms through a scratch store), and language tags in lower case;
- in SHACL-SPARQL messages, pyshacl writes a value's spelling; the fast path spells an xsd:decimal bound by a
  triple pattern with at least one fractional digit (as kzelect writes decimals: "7.0") and a SUM of such
  values with the most fractional digits of its terms (as rdflib's Decimal arithmetic does); other computed
  values as the store gives them. A decimal spelled otherwise in the data ("1.10") shows differently;
- ill-typed literals are those the store's parser rejects (rdflib's parser differs at the margins: it accepts
  NaN as xsd:decimal, drops a date's time zone); sh:pattern, sh:minLength and sh:maxLength see the store's
  lexical form of a number; sh:minInclusive and sh:maxInclusive compare as SPARQL does (rdflib orders some
  incomparable literals by their datatype IRIs); blank nodes get other labels on each side.
"""

from .compiler import compile_shapes
from .reference import reference
from .results import Compiled, Result, Unsupported, run
from .terms import path_text

__all__ = ["Compiled", "Result", "Unsupported", "compile_shapes", "path_text", "reference", "run"]
