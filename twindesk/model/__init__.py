"""The Qt-free data model: cases, artefacts, parameters, commands, schema and migrations."""

from twindesk.model.case import Case

__all__ = ["Case"]
