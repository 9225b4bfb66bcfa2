"""The build at scale: synthetic graphs of 10k, 100k and 1M triples, each step timed with its peak memory, beside
pyoxigraph alone (the reference) and, for validation, pyshacl run the plain way.

Run: python3 bench/scale.py [--sizes real,10k,100k,1M] [--pyshacl 10k,100k] [--repeat 5]
("real" is the project's own graph, about 9k triples.)
Prints Markdown tables (docs/performance.md holds the figures). Every measured step runs in a child process of
its own, so its peak resident memory (ru_maxrss) is its own; nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIPLES_PER_STATION = 99  # at 7 parties, measured: ~99 triples per polling station and election
SIZES = {"real": 9_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000, "5M": 5_000_000}
ELECTIONS, PARTIES = 2, 7


class Laps:
    """``lap(name)`` records the time since the last lap and the peak memory so far."""

    def __init__(self):
        self.steps, self.clock = [], time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.steps.append((name, now - self.clock, peak_mb()))
        self.clock = now


# ---------------------------------------------------------------------------------------------- children
# Each runs in its own process: ``python3 bench/scale.py --child NAME ARGS...``; prints one JSON object.

def child_pipeline(data: str, out: str) -> dict:
    """The build's steps, as ``kzelect.build.build`` runs them, each timed; ``peak_mb`` is the peak so far."""
    from kzelect import export, folder, store
    from kzelect.build import Locations
    from kzelect.data import load_data
    from kzelect.graph import triples_by_graph
    from kzelect.quads import Quads
    from kzelect.uris import missing_in
    from kzelect.validate import validate_quads

    lap = Laps()
    data_dir = Path(data)
    loaded = load_data(data_dir)
    lap("read the records and tables")
    groups = triples_by_graph(loaded)
    lap("make the triples")
    assert missing_in(groups, loaded, data_dir).ok
    lap("check the published URIs")
    quads = Quads.of(groups)
    del groups  # as the build does: the quads hold them
    lap("the triples as N-Triples per graph (pyoxigraph)")
    report = validate_quads(quads, locations=Locations(loaded))
    lap("validate: shapes as SPARQL on pyoxigraph + checks")
    with folder.staged(Path(out)) as staging:
        with store.loading(staging, quads):  # the query store loads on a thread of its own meanwhile
            files = export.render(quads)
            lap("write Turtle, JSON-LD, N-Triples, TriG in memory (the query store loading beside)")
            export.write(files, staging)
            lap("write the files")
        lap("wait for the query store (on disk) to be loaded")
    return {"steps": lap.steps, "triples": len(quads), "violations": len(report.violations)}


def child_reference(nt: str) -> dict:
    """pyoxigraph alone: parse the N-Triples, serialise them in the four formats."""
    import pyoxigraph as ox

    lap = Laps()
    triples = list(ox.parse(path=nt, format=ox.RdfFormat.N_TRIPLES))
    lap("parse N-Triples")
    for fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TRIG):
        ox.serialize(triples, format=fmt)
        lap(f"serialise {fmt.name}")
    return {"steps": lap.steps}


def corrupted_groups(data: str, corrupt: str) -> dict:
    """The graph's triples (rdflib terms) by named graph, with ``corrupt`` == "yes" seeded faults the shapes catch.

    Each fault is made at three places (a seeded choice): a result's party deleted (sh:minCount), a vote count
    typed xsd:decimal (sh:datatype), a result's party changed to another party of its report (the SHACL-SPARQL
    rule ReportOneResultPerParty) and a polling station's label tagged @ru (sh:languageIn).
    """
    import random

    from rdflib import Literal
    from rdflib.namespace import SKOS, XSD

    from kzelect.data import load_data
    from kzelect.graph import triples_by_graph
    from kzelect.namespaces import KZE

    groups = triples_by_graph(load_data(Path(data)))
    if corrupt != "yes":
        return groups
    rng = random.Random(20261206)
    for name in sorted(groups):
        triples = groups[name]
        parties = sorted({o for _, p, o in triples if p == KZE.party})
        if len(parties) < 2:
            continue
        picks = {kind: set(rng.sample(sorted(nodes := {s for s, p, _ in triples if p == predicate}), min(3, len(nodes))))
                 for kind, predicate in (("deleted", KZE.party), ("decimal", KZE.votes), ("other party", KZE.party),
                                         ("ru", SKOS.prefLabel))}
        changed = []
        for s, p, o in triples:
            if p == KZE.party and s in picks["deleted"]:
                continue
            if p == KZE.votes and s in picks["decimal"]:
                o = Literal(f"{o}.0", datatype=XSD.decimal)
            elif p == KZE.party and s in picks["other party"]:
                o = parties[(parties.index(o) + 1) % len(parties)]
            elif p == SKOS.prefLabel and s in picks["ru"]:
                o = Literal(str(o), lang="ru")
            changed.append((s, p, o))
        groups[name] = changed
    return groups


def child_fast_validation(data: str, corrupt: str) -> dict:
    """The build's validation (``validate_quads``: the shapes compiled to SPARQL on pyoxigraph): the shapes alone,
    then the shapes and the named checks, as the build runs them."""
    from kzelect.quads import Quads
    from kzelect.validate import validate_quads

    quads = Quads.of(corrupted_groups(data, corrupt))
    start = time.perf_counter()
    report = validate_quads(quads, checks={})
    shapes_seconds = time.perf_counter() - start
    start = time.perf_counter()
    validate_quads(quads)
    return {"seconds": shapes_seconds, "with_checks": time.perf_counter() - start, "peak_mb": peak_mb(),
            "violations": [str(v) for v in report.violations]}


def child_pyshacl(data: str, corrupt: str) -> dict:
    """The reference: pyshacl the plain way (rdflib's in-memory graph), the shapes alone (``validate`` with no checks)."""
    from kzelect.graph import union_graph
    from kzelect.validate import validate

    graph = union_graph(corrupted_groups(data, corrupt))
    start = time.perf_counter()
    report = validate(graph, checks={})
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_mb(), "violations": [str(v) for v in report.violations]}


def child_queries(out: str, repeat: str) -> dict:
    """Each shipped query on the build's embedded store (pyoxigraph on disk), median of ``repeat`` runs."""
    from kzelect import store
    from kzelect.execute import evaluate_oxigraph
    from kzelect.queries import named_queries
    from kzelect.sparql import prepare

    oxigraph, times = store.open_store(Path(out)), {}
    for name, query in named_queries().items():
        prepared, runs = prepare(query.text), []
        for _ in range(int(repeat)):
            start = time.perf_counter()
            evaluate_oxigraph(oxigraph, prepared)
            runs.append(time.perf_counter() - start)
        times[name] = statistics.median(runs)
    return {"queries": times, "peak_mb": peak_mb()}


def child_cli_build(data: str, out: str) -> dict:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kzelect", "build", "--data", data, "--out", out], check=True,
                   capture_output=True)
    return {"seconds": time.perf_counter() - start, "peak_mb": children_peak_mb()}


CHILDREN = {"pipeline": child_pipeline, "reference": child_reference, "fast-validation": child_fast_validation,
            "pyshacl": child_pyshacl, "queries": child_queries, "cli-build": child_cli_build}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------- parent

def child(name: str, *args: str, timeout: float | None = None) -> dict:
    command = [sys.executable, __file__, "--child", name, *args]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "KZELECT_PROGRESS": "0"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def synth(folder: Path, triples: int) -> Path:
    if triples == SIZES["real"]:
        from kzelect import paths

        return paths.DATA
    stations = max(1, round(triples / (ELECTIONS * TRIPLES_PER_STATION)))
    command = [sys.executable, "-m", "kzelect", "synth", str(folder), "--elections", str(ELECTIONS),
               "--stations", str(stations), "--parties", str(PARTIES)]
    subprocess.run(command, check=True, capture_output=True)
    return folder


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    import pyoxigraph
    import pyshacl
    import rdflib

    return (f"{os.cpu_count()} CPUs ({cpu}), {int(memory) / 1024 / 1024:.0f} GB RAM, {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, pyoxigraph {pyoxigraph.__version__}, "
            f"rdflib {rdflib.__version__}, pyshacl {pyshacl.__version__}; load average before: "
            f"{os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="real,10k,100k,1M", help="graph sizes, of " + ", ".join(SIZES))
    parser.add_argument("--pyshacl", default="10k", help="sizes at which to run pyshacl the plain way too (slow: "
                        "about 10 minutes per graph at 100k, twice); '' for none")
    parser.add_argument("--repeat", type=int, default=5, help="runs per query (the median is shown)")
    args = parser.parse_args()
    sizes = [s for s in args.sizes.split(",") if s]
    with_pyshacl = {s for s in args.pyshacl.split(",") if s}
    sys.stdout.reconfigure(line_buffering=True)
    print(f"Machine: {machine()}\n")
    totals, rows = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            data, out = synth(Path(tmp) / f"data-{size}", SIZES[size]), Path(tmp) / f"dist-{size}"
            kind = "the project's data" if size == "real" else f"synthetic: {ELECTIONS} elections, {PARTIES} parties"
            pipeline = child("pipeline", str(data), str(out))
            reference = child("reference", str(out / "kzelect.nt"))
            cli = child("cli-build", str(data), str(Path(tmp) / f"cli-{size}"))
            queries = child("queries", str(out), str(args.repeat))
            build_seconds = sum(seconds for _, seconds, _ in pipeline["steps"])
            reference_seconds = sum(seconds for _, seconds, _ in reference["steps"])
            totals[size] = build_seconds
            print(f"## {size}: {pipeline['triples']:,} triples ({kind})\n")
            print("| step | seconds | peak RSS so far (MB) |\n|---|---|---|")
            for name, seconds, peak in pipeline["steps"]:
                print(f"| {name} | {seconds:.2f} | {peak:.0f} |")
            print(f"| **build, all steps** | **{build_seconds:.2f}** | {max(p for *_, p in pipeline['steps']):.0f} |")
            print(f"| `kzelect build`, whole command | {cli['seconds']:.2f} | {cli['peak_mb']:.0f} |")
            for name, seconds, peak in reference["steps"]:
                print(f"| reference: pyoxigraph {name} | {seconds:.2f} | {peak:.0f} |")
            print(f"| **reference: pyoxigraph, all** | **{reference_seconds:.2f}** | |")
            print(f"\nBuild / reference: **{build_seconds / reference_seconds:.1f}x** "
                  f"(whole command: {cli['seconds'] / reference_seconds:.1f}x)\n")
            for corrupt in (["no", "yes"] if size in with_pyshacl else []):
                fast = child("fast-validation", str(data), corrupt)
                slow = child("pyshacl", str(data), corrupt)
                same = "identical" if fast["violations"] == slow["violations"] else "DIFFERENT"
                print(f"Validation against the shapes, {'with seeded faults' if corrupt == 'yes' else 'the graph'}: "
                      f"fast path {fast['seconds']:.2f} s ({fast['peak_mb']:.0f} MB; with the named checks too "
                      f"{fast['with_checks']:.2f} s), pyshacl the plain way {slow['seconds']:.1f} s ({slow['peak_mb']:.0f} MB): "
                      f"**{slow['seconds'] / fast['seconds']:.0f}x**; {len(fast['violations'])} violations, {same}.\n",
                      flush=True)
                if same == "DIFFERENT":
                    for line in sorted(set(fast["violations"]) ^ set(slow["violations"]))[:20]:
                        print(f"    {'fast only' if line in fast['violations'] else 'pyshacl only'}: {line}")
            slowest = max(queries["queries"].items(), key=lambda item: item[1])
            print(f"Queries on the embedded store ({args.repeat} runs each, median): slowest `{slowest[0]}` "
                  f"{slowest[1] * 1000:.1f} ms\n")
            rows.append((size, queries["queries"]))
    if rows:
        print("| named query | " + " | ".join(f"{size} (ms)" for size, _ in rows) + " |")
        print("|---|" + "---|" * len(rows))
        for name in rows[0][1]:
            print(f"| `{name}` | " + " | ".join(f"{q[name] * 1000:.1f}" for _, q in rows) + " |")
    ordered = [s for s in SIZES if s in totals and s != "real"]
    for small, large in zip(ordered, ordered[1:], strict=False):
        print(f"\nGrowth {small} -> {large}: {SIZES[large] / SIZES[small]:.0f}x the data, "
              f"{totals[large] / totals[small]:.1f}x the build time")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:])))
    else:
        main()
