"""Errors a user can act on: each names the file, the line, the field and what was expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One mistake in one input file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class GeneratorError(Exception):
    """A failure the user can fix; printed without a traceback."""


class ProblemFileError(GeneratorError):
    """One or more mistakes in problem files, all collected before stopping."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))

    def __reduce__(self):  # pickled whole (from a worker process), not as its message
        return (type(self), (self.issues,))


class VerificationError(GeneratorError):
    """A printed derivative disagrees with its finite-difference check."""
