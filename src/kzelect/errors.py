"""The error hierarchy. Every error says what, where (file:line) and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_INVALID = 1  # the data is invalid (violations listed)
EXIT_UNREADABLE = 2  # the input could not be read (or a query was refused)
EXIT_LIMIT = 3  # a query was stopped at its time limit


class KzelectError(Exception):
    """Base class of kzelect's errors."""

    exit_code = EXIT_UNREADABLE


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one data file."""

    file: str
    line: int
    message: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.file}:{self.line}: {self.message}.{fix}"


class DataError(KzelectError):
    """The data files have problems; all of them are listed."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the data files:"
        super().__init__("\n".join([head] + [f"  {p}" for p in self.problems]))


class InputError(KzelectError):
    """An input file could not be read (missing, unparseable)."""
