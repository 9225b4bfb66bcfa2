"""Shared fixtures: a throw-away copy of a data folder."""

from __future__ import annotations

import shutil
import socket
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from kzelect import paths

FIXTURES = Path(__file__).parent / "fixtures"


def make_data_dir(tmp_path: Path, records: Path | None = None) -> Path:
    """A data folder with the real source texts and the given records (default: the base fixture)."""
    data = tmp_path / "data"
    shutil.copytree(paths.SOURCE_TEXTS, data / "sources")
    shutil.copytree(records or FIXTURES / "data" / "base" / "records", data / "records")
    return data


def data_with_label(root: Path, label: str) -> Path:
    """The base fixture with Nur Otan's label replaced by ``label`` (for hostile-text tests)."""
    import json

    data = make_data_dir(root)
    records = data / "records" / "base.yaml"
    records.write_text(records.read_text(encoding="utf-8").replace("  label: Nur Otan\n", f"  label: {json.dumps(label)}\n"),
                       encoding="utf-8")
    return data


@pytest.fixture
def base_data(tmp_path) -> Path:
    return make_data_dir(tmp_path)


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """The real graph, built once for the session (exports and query store)."""
    from kzelect.build import build

    out = tmp_path_factory.mktemp("dist")
    build(out)
    return out


@contextmanager
def listening():
    """A TCP listener on 127.0.0.1 that records (and hangs up on) every connection made to it: (port, connections).

    Tests point refused network access (SERVICE, FROM, remote contexts, owl:imports) at it, and check it saw nothing.
    """
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    connections: list = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            with suppress(TimeoutError):
                connection, address = server.accept()
                connections.append(address)
                connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


@pytest.fixture
def listener():
    with listening() as port_and_connections:
        yield port_and_connections
