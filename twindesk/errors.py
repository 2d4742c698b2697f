"""Errors a user can act on.

Every failure the user can fix (a bad file, a wrong flag, a locked case) is raised as a
:class:`TwindeskError` subclass whose message names the file or field and says what to do.
The CLI turns them into exit code 2 with the message on stderr; the GUI shows them once in a
dialog. Anything else is an internal error (exit code 1).
"""

from __future__ import annotations


class TwindeskError(Exception):
    """Base class: a problem the user can act on.

    Parameters
    ----------
    message
        What went wrong, naming the file or field.
    hint
        What to do about it (optional, appended to the message).
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(self.user_message())

    def user_message(self) -> str:
        if self.hint:
            return f"{self.message}\n  What to do: {self.hint}"
        return self.message


class InputError(TwindeskError):
    """A file, folder or argument given by the user is unusable."""


class DicomError(InputError):
    """A DICOM folder or file cannot be imported as asked."""


class CaseError(TwindeskError):
    """A case folder is missing, damaged, or of an unknown version."""


class CaseLockedError(CaseError):
    """Another process holds the write lock of a case."""


class ReadOnlyCaseError(CaseError):
    """A write was attempted on a case opened read-only."""


class ResourceError(TwindeskError):
    """A resource data file (device, preset, table) is invalid."""


class Cancelled(TwindeskError):
    """A long job was cancelled by the user. Nothing was saved."""

    exit_code = 130


class SolverError(TwindeskError):
    """A numerical solve diverged or produced non-finite values."""
