"""Shared fixtures: a throw-away copy of a data folder."""

from __future__ import annotations

import shutil
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
