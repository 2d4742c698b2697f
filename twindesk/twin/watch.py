"""Near-real-time trajectory: follow new vitals and compare them with the twin's band.

**Planning support, not patient monitoring.** The watcher raises no alarms: it reports,
as information for the planning team, when a new value lies outside the band the
calibrated twin predicts. It never writes to the case.

For each new time point (a CSV row, or the observations of a new FHIR file) the calibrated
baseline 0D model is re-solved at the observed heart rate (warm-started, tens of
milliseconds), giving the predicted central diastolic and mean pressure and cardiac
output; the band around each is the calibration's uncertainty interval (its offsets from
the calibrated value). Observed cuff values are compared through the calibration's
central-pressure rule (central DBP = cuff DBP; central mean = DBP + 0.4·(SBP − DBP)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twindesk.errors import InputError

LABEL = "planning support, not patient monitoring: no alarms are raised"

#: observed quantity (after the central-pressure rule) → calibration prediction key
COMPARED = {"dbp_mmhg": "aortic_diastolic_mmhg", "map_central_mmhg": "aortic_mean_mmhg",
            "co_l_min": "cardiac_output_l_min"}


@dataclass
class Band:
    """Offsets (low − value, high − value) of each prediction from the calibration."""

    offsets: dict[str, tuple[float, float]]
    calibration_id: str


def band_from_case(doc: dict[str, Any]) -> Band:
    cals = (doc.get("physiology") or {}).get("calibrations") or []
    if not cals:
        raise InputError("the twin is not calibrated, so it has no predicted band",
                         "run 'twindesk calibrate CASE' (or 'twindesk twin recalibrate') first")
    cal = cals[-1]
    offsets = {}
    for key in COMPARED.values():
        p = (cal.get("predictions") or {}).get(key)
        if p and p.get("low") is not None:
            offsets[key] = (p["low"] - p["value"], p["high"] - p["value"])
    return Band(offsets, cal.get("id", "?"))


class _Source:
    """New observations from a growing CSV file or a folder of FHIR/CSV files."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"--vitals {self.path}: no such file or folder", "check the path")
        self.rows_read = 0
        self.files_done: dict[str, tuple[int, float]] = {}

    def poll(self) -> list[dict[str, Any]]:
        from twindesk.io.clinical import parse_clinical
        from twindesk.io.clinical.csv_reader import parse_csv

        if self.path.is_file():
            text = self.path.read_text(encoding="utf-8", errors="replace")
            if not text.strip():
                return []
            batch = parse_csv(text, self.path.name, complete_lines_only=True,
                              skip_rows=self.rows_read)
            self.rows_read = batch.meta["n_rows"]
            return [o.to_doc() for o in batch.observations]
        out = []
        for f in sorted(p for p in self.path.iterdir() if p.is_file()):
            st = f.stat()
            key = (st.st_size, st.st_mtime)
            if self.files_done.get(f.name) == key:
                continue
            try:
                batch = parse_clinical(f.read_text(encoding="utf-8", errors="replace"), f.name)
            except InputError:
                continue  # still being written (or not clinical data): try again next poll
            self.files_done[f.name] = key
            out += [o.to_doc() for o in batch.observations]
        return out


@dataclass
class Watcher:
    """Follows ``path``; :meth:`poll` returns the new trajectory points."""

    doc: dict[str, Any]
    path: Path
    samples_per_cycle: int = 400
    points: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self):
        from twindesk.sim.lumped.store import BASELINE, resolve_scenario

        self.band = band_from_case(self.doc)
        self.circulation, _ = resolve_scenario(self.doc, BASELINE)
        self.hr_bpm = self.circulation.heart.heart_rate_bpm
        self.source = _Source(self.path)
        self._state0 = None

    def poll(self) -> list[dict[str, Any]]:
        new = []
        by_time: dict[str, dict[str, float]] = {}
        for o in self.source.poll():
            by_time.setdefault(o["time_utc"], {})[o["quantity"]] = o["value"]
        for when in sorted(by_time):
            new.append(self._point(when, by_time[when]))
        self.points += new
        return new

    def _predict(self, hr_bpm: float) -> dict[str, float]:
        from twindesk.sim.lumped.haemodynamics import summarize
        from twindesk.sim.lumped.periodic import solve_periodic

        c = self.circulation.with_(heart_rate_bpm=hr_bpm)
        sol = solve_periodic(c, self.samples_per_cycle, self._state0)
        self._state0 = sol.state0
        return summarize(c, sol.waveforms)

    def _point(self, when: str, values: dict[str, float]) -> dict[str, Any]:
        from twindesk.sim.lumped.clinical import central_mean_mmhg

        if "hr_bpm" in values:
            self.hr_bpm = values["hr_bpm"]
        summary = self._predict(self.hr_bpm)
        observed = dict(values)
        if "sbp_mmhg" in values and "dbp_mmhg" in values:
            observed["map_central_mmhg"] = central_mean_mmhg(values["sbp_mmhg"],
                                                             values["dbp_mmhg"])
        compared, outside = {}, []
        for obs_key, pred_key in COMPARED.items():
            value = summary[pred_key]
            lo_off, hi_off = self.band.offsets.get(pred_key, (0.0, 0.0))
            entry = {"predicted": value, "low": value + lo_off, "high": value + hi_off,
                     "observed": observed.get(obs_key)}
            if entry["observed"] is not None:
                entry["inside"] = entry["low"] <= entry["observed"] <= entry["high"]
                if not entry["inside"]:
                    outside.append(obs_key)
            compared[obs_key] = entry
        return {"time_utc": when, "hr_bpm": self.hr_bpm, "observed": observed,
                "compared": compared, "outside_band": outside}

    def summary(self) -> dict[str, Any]:
        n_out = sum(bool(p["outside_band"]) for p in self.points)
        return {"label": LABEL, "vitals": str(self.path), "calibration_id": self.band.calibration_id,
                "n_points": len(self.points), "n_points_outside_band": n_out,
                "points": self.points}
