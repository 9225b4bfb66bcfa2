"""Time and peak memory of each build step on the real graph, with pyoxigraph as the reference.

Run: python3 bench/bench_build.py [--repeat N]. Prints a Markdown table (median of N runs).
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time

import pyoxigraph

from kzelect import export
from kzelect.data import load_data
from kzelect.graph import build_dataset, build_graph
from kzelect.validate import validate


def timed(step, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    rows = []
    seconds, data = timed(load_data, repeat)
    rows.append(("load data + locate quotes", seconds))
    seconds, graph = timed(lambda: build_graph(data), repeat)
    rows.append(("build graph (rdflib)", seconds))
    seconds, dataset = timed(lambda: build_dataset(data), repeat)
    rows.append(("build named graphs (rdflib)", seconds))
    seconds, report = timed(lambda: validate(graph), repeat)
    assert report.conforms
    rows.append(("validate: SHACL (pyshacl) + violation queries", seconds))
    for name, render in (("Turtle", export.to_turtle), ("JSON-LD", export.to_jsonld),
                         ("N-Triples", export.to_ntriples)):
        seconds, _ = timed(lambda render=render: render(graph), repeat)
        rows.append((f"serialise {name} (rdflib)", seconds))
    seconds, _ = timed(lambda: export.to_trig(dataset), repeat)
    rows.append(("serialise TriG (pyoxigraph)", seconds))
    nt = export.to_ntriples(graph)
    seconds, quads = timed(lambda: list(pyoxigraph.parse(nt, format=pyoxigraph.RdfFormat.N_TRIPLES)), repeat)
    rows.append(("reference: pyoxigraph parses the N-Triples", seconds))
    seconds, _ = timed(lambda: pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.TURTLE), repeat)
    rows.append(("reference: pyoxigraph serialises Turtle", seconds))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(graph):,} triples; Python {platform.python_version()}, {platform.machine()}; "
          f"median of {repeat} runs; peak RSS {peak:.0f} MB\n")
    print("| step | seconds |\n|---|---|")
    for step, seconds in rows:
        print(f"| {step} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
