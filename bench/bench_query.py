"""Time of each named query on the embedded store (pyoxigraph) and on rdflib, and of `kzelect query` end to end.

Run: python3 bench/bench_query.py [--repeat N]. Builds into a temporary folder first, then prints a
Markdown table (median of N runs).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kzelect import store
from kzelect.build import build
from kzelect.execute import evaluate_oxigraph, evaluate_rdflib, reference_dataset
from kzelect.queries import named_queries
from kzelect.sparql import prepare


def median(step, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "dist"
        build(out)
        (out / "store" / store.STAMP).unlink()  # time a full load of the store
        load = median(lambda: store.refresh(out), 1)
        fresh = median(lambda: store.refresh(out), repeat)
        oxigraph, rdflib = store.open_store(out), reference_dataset(out)
        rows = []
        for name, query in named_queries().items():
            prepared = prepare(query.text)
            rows.append((name, median(lambda p=prepared: evaluate_oxigraph(oxigraph, p), repeat),
                         median(lambda p=prepared: evaluate_rdflib(rdflib, p), repeat)))
        parse = median(lambda: prepare(named_queries()["disagreements"].text), repeat)
        command = [sys.executable, "-m", "kzelect", "query", "--build-dir", str(out), "sources"]
        cli = median(lambda: subprocess.run(command, check=True, capture_output=True), repeat)
    print(f"Python {platform.python_version()}, {platform.machine()}; median of {repeat} runs\n")
    print("| named query | pyoxigraph (ms) | rdflib (ms) |\n|---|---|---|")
    for name, fast, slow in rows:
        print(f"| `{name}` | {fast * 1000:.1f} | {slow * 1000:.1f} |")
    print("\n| step | ms |\n|---|---|")
    print(f"| load the exports into the store (first query after a build) | {load * 1000:.0f} |")
    print(f"| check the store is current (every query) | {fresh * 1000:.1f} |")
    print(f"| parse and check a query (rdflib's grammar, warm) | {parse * 1000:.1f} |")
    print(f"| `kzelect query sources`, whole command | {cli * 1000:.0f} |")


if __name__ == "__main__":
    main()
