"""What a clinical file yields: observations, genomic flags, unknown items, warnings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from twindesk.errors import InputError


@dataclass(frozen=True)
class Observation:
    """One measured value in its canonical unit.

    ``time_utc`` is ISO 8601 UTC (``YYYY-MM-DDTHH:MM:SSZ``); ``quantity`` a key of
    :data:`twindesk.io.clinical.units.QUANTITIES` (unit in the name); ``unit`` the canonical
    UCUM unit; ``code`` the LOINC code when the source gave one; ``origin`` names where in
    the file it came from (row/column, or FHIR resource id); ``matched_by`` is ``"code"``,
    ``"column"`` or ``"display"``.
    """

    time_utc: str
    quantity: str
    value: float
    unit: str
    code: str | None
    display: str
    origin: str
    value_as_sent: float
    unit_as_sent: str
    matched_by: str

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GenomicFlag:
    """A pathogenic / likely pathogenic variant in a heritable thoracic aortic disease gene."""

    gene: str
    significance: str  # "Pathogenic" or "Likely pathogenic"
    variant: str
    condition: str
    build: str | None
    origin: str
    time_utc: str | None

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ClinicalBatch:
    """Everything parsed from one file (``kind`` is ``csv``, ``fhir`` or ``vcf``)."""

    kind: str
    observations: list[Observation] = field(default_factory=list)
    genomic_flags: list[GenomicFlag] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_observations": len(self.observations),
                "n_genomic_flags": len(self.genomic_flags), "unknown": self.unknown,
                "ignored": self.ignored, "warnings": self.warnings, "meta": self.meta}


def parse_time_utc(text: str, where: str, warnings: list[str] | None = None) -> str:
    """ISO 8601 date or date-time → ``YYYY-MM-DDTHH:MM:SSZ`` (UTC).

    A date alone means 00:00 UTC; a time without zone is taken as UTC and noted once in
    ``warnings`` (clinical exports usually carry the zone; we do not guess the site's).
    """
    s = (text or "").strip()
    if not s:
        raise InputError(f"{where}: empty time", "give an ISO 8601 date or date-time, "
                                                 "e.g. 2024-03-01T08:30:00Z")
    try:
        if len(s) == 10:
            d = date.fromisoformat(s)
            dt = datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        else:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                if warnings is not None and not any("no time zone" in w for w in warnings):
                    warnings.append(f"{where}: time '{s}' has no time zone; taken as UTC")
                dt = dt.replace(tzinfo=timezone.utc)
    except ValueError:
        raise InputError(f"{where}: '{s}' is not an ISO 8601 date or date-time",
                         "write times like 2024-03-01 or 2024-03-01T08:30:00+01:00") from None
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
