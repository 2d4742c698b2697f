"""ECG-gated multiphase series: split the planes into cardiac phases and choose one.

A series holds several phases when planes repeat at the same position. The phase of a plane
comes, in this order of preference, from NominalPercentageOfCardiacPhase (0020,9241), the
temporal position (TemporalPositionIndex (0020,9128) / TemporalPositionIdentifier
(0020,0100)), or the trigger delay (TriggerTime (0018,1060) / NominalCardiacTriggerDelayTime
(0020,9153)); repeated scans without cardiac timing are told apart by AcquisitionNumber
(0020,0012). The percentage of the R-R interval is the nominal percentage, else the trigger
delay divided by the R-R interval (NominalInterval (0018,1062), CardiacRRIntervalSpecified
(0018,9070) or 60000 / HeartRate (0018,1088)).

The default phase is the one nearest 35 % of R-R: end-systole is when the aortic annulus is
largest, and TAVR sizing is done there (Blanke P, et al. Computed tomography imaging in the
context of transcatheter aortic valve implantation (TAVI) / transcatheter aortic valve
replacement (TAVR): an expert consensus document of the SCCT. J Cardiovasc Comput Tomogr
2019;13:1-20).
"""

from __future__ import annotations

from dataclasses import dataclass

from twindesk.errors import DicomError
from twindesk.io.dicom.frames import Frame
from twindesk.io.dicom.geometry import median

DEFAULT_PHASE_PERCENT = 35.0


@dataclass(frozen=True)
class Phase:
    """One cardiac phase of a series (``number`` counts from 1 in phase order)."""

    number: int
    percent: float | None
    trigger_ms: float | None
    temporal_index: int | None
    frames: tuple[Frame, ...]
    acquisition: int | None = None

    def describe(self) -> str:
        parts = []
        if self.percent is not None:
            parts.append(f"{self.percent:g} % R-R")
        if self.trigger_ms is not None:
            parts.append(f"trigger {self.trigger_ms:g} ms")
        if self.temporal_index is not None:
            parts.append(f"temporal position {self.temporal_index}")
        if not parts and self.acquisition is not None:
            parts.append(f"acquisition {self.acquisition}")
        return ", ".join(parts) or f"phase {self.number}"

    def as_dict(self) -> dict:
        return {"number": self.number, "percent": self.percent, "trigger_ms": self.trigger_ms,
                "temporal_index": self.temporal_index, "acquisition": self.acquisition,
                "n_slices": len(self.frames)}


def split_phases(frames: list[Frame], distance: dict[tuple[str, int], float],
                 rr_ms: float | None, tol_mm: float) -> list[Phase]:
    """Group ``frames`` into phases.

    Parameters
    ----------
    distance
        Frame key → position along the slice normal, mm.
    rr_ms
        The R-R interval, ms, when the files give it.
    tol_mm
        Positions closer than this are the same position.
    """
    positions = _position_ids(frames, distance, tol_mm)
    groups: list[list[Frame]] = [list(frames)]
    if len(set(positions.values())) < len(frames):
        for split in (_by_value("percent"), _by_value("temporal_index"), _by_trigger_rank,
                      _by_value("acquisition")):
            candidate = split(frames, positions)
            if candidate and all(_unique_positions(g, positions) for g in candidate):
                groups = candidate
                break
    phases = [_phase(group, rr_ms) for group in groups]
    phases.sort(key=lambda p: tuple(v if v is not None else 1e9 for v in
                                    (p.percent, p.trigger_ms, p.temporal_index, p.acquisition)))
    return [Phase(i + 1, p.percent, p.trigger_ms, p.temporal_index, p.frames, p.acquisition)
            for i, p in enumerate(phases)]


def choose_phase(phases: list[Phase], percent: float | None, series: str
                 ) -> tuple[Phase, list[str]]:
    """The phase nearest ``percent`` (default 35 % R-R) and the warnings it carries."""
    warnings: list[str] = []
    if len(phases) == 1:
        only = phases[0]
        if percent is not None and (only.percent is None or abs(only.percent - percent) > 2.5):
            warnings.append(f"--phase {percent:g} asked for, but series {series} holds one "
                            f"phase only ({only.describe()}); imported that one")
        return only, warnings
    listing = "; ".join(p.describe() for p in phases)
    if any(p.percent is None for p in phases):
        if percent is not None:
            raise DicomError(f"series {series} holds {len(phases)} phases without a cardiac "
                             f"percentage ({listing}), so --phase {percent:g} cannot choose",
                             "import without --phase to take the first, or export the wanted "
                             "phase as its own series on the scanner")
        warnings.append(f"series {series} holds {len(phases)} phases without a cardiac "
                        f"percentage ({listing}); imported the first ({phases[0].describe()})")
        return phases[0], warnings
    target = DEFAULT_PHASE_PERCENT if percent is None else percent
    chosen = min(phases, key=lambda p: (abs(p.percent - target), p.percent))
    how = "asked for" if percent is not None else "default, end-systole"
    warnings.append(f"multiphase series: imported {chosen.describe()} (nearest {target:g} %, "
                    f"{how}) of {len(phases)} phases ({listing})")
    return chosen, warnings


def rr_interval_ms(nominal_ms: float | None, specified_ms: float | None,
                   heart_rate_bpm: float | None) -> float | None:
    """The R-R interval, ms, from whichever tag the scanner wrote."""
    for value in (nominal_ms, specified_ms):
        if value and value > 0:
            return float(value)
    if heart_rate_bpm and heart_rate_bpm > 0:
        return 60000.0 / heart_rate_bpm
    return None


# ------------------------------------------------------------------------- internals
def _position_ids(frames, distance, tol_mm) -> dict[tuple[str, int], int]:
    """Frame key → position cluster id (positions within ``tol_mm`` share an id)."""
    ordered = sorted(frames, key=lambda f: distance[f.key])
    ids, current, last = {}, -1, None
    for f in ordered:
        d = distance[f.key]
        if last is None or d - last > tol_mm:
            current += 1
        ids[f.key] = current
        last = d
    return ids


def _unique_positions(group: list[Frame], positions) -> bool:
    return len({positions[f.key] for f in group}) == len(group)


def _by_value(attr: str):
    def split(frames: list[Frame], positions) -> list[list[Frame]] | None:
        values = [getattr(f, attr) for f in frames]
        if any(v is None for v in values) or len(set(values)) < 2:
            return None
        groups: dict[float, list[Frame]] = {}
        for f in frames:
            groups.setdefault(round(float(getattr(f, attr)), 2), []).append(f)
        return list(groups.values())
    return split


def _by_trigger_rank(frames: list[Frame], positions) -> list[list[Frame]] | None:
    """Trigger delays jitter from beat to beat, so planes are ranked by trigger delay at each
    position: rank k over all positions is phase k. Needs the same count at every position."""
    if any(f.trigger_ms is None for f in frames):
        return None
    at: dict[int, list[Frame]] = {}
    for f in frames:
        at.setdefault(positions[f.key], []).append(f)
    counts = {len(v) for v in at.values()}
    if len(counts) != 1 or counts == {1}:
        return None
    groups: list[list[Frame]] = [[] for _ in range(counts.pop())]
    for planes in at.values():
        for rank, f in enumerate(sorted(planes, key=lambda f: f.trigger_ms)):
            groups[rank].append(f)
    return groups


def _phase(frames: list[Frame], rr_ms: float | None) -> Phase:
    percents = [f.percent for f in frames if f.percent is not None]
    triggers = [f.trigger_ms for f in frames if f.trigger_ms is not None]
    temporal = [f.temporal_index for f in frames if f.temporal_index is not None]
    trigger = round(median(triggers), 1) if triggers else None
    percent = round(median(percents), 2) if percents else None
    if percent is None and trigger is not None and rr_ms:
        percent = round(100.0 * trigger / rr_ms, 1)
    return Phase(0, percent, trigger, _mode(temporal), tuple(frames),
                 _mode([f.acquisition for f in frames if f.acquisition is not None]))


def _mode(values: list[int]) -> int | None:
    return max(sorted(set(values)), key=values.count) if values else None
