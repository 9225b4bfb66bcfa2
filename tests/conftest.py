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
