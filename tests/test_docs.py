"""Docs that cannot drift: generated references are current; the README's commands are the CI's."""

from __future__ import annotations

from pathlib import Path

from kzelect.reference import documents

ROOT = Path(__file__).resolve().parents[1]


def test_generated_docs_are_current():
    for path, text in documents().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run 'python3 -m kzelect docs'"


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m pip install -e '.[test]' && python3 -m pytest"
    assert command in readme and command in ci
    assert "python3 -m pip install -e . && python3 -m kzelect build" in readme
