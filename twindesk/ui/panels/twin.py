"""Twin panel: the twin over time — timeline of versions and attached data, versions with
diff and revert, follow-up CT with a registration overlay, recalibration, predicted vs
observed, and a live view of vitals (planning support, not patient monitoring).

The logic is the twin room's (:mod:`twindesk.twin`, :mod:`twindesk.model.versions`), the
same functions ``twindesk twin …`` calls; the tabs only turn clicks into calls. Functions
that commit the case run through :mod:`twindesk.ui.case_jobs`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from twindesk.errors import InputError
from twindesk.ui.actions import ActionSpec
from twindesk.ui.case_jobs import commit_now, require_saved
from twindesk.ui.panels.base import Panel
from twindesk.ui.panels.twin_calibration import AccuracyTab, CalibrationTab
from twindesk.ui.panels.twin_followup import FollowUpTab
from twindesk.ui.panels.twin_live import LiveTab
from twindesk.ui.tables import fill_table, make_table, selected_rows

CLINICAL_FILES = "Clinical data (*.csv *.json *.vcf *.txt);;All files (*)"


def _time(text: str | None) -> str:
    return (text or "").replace("T", " ").replace("Z", "")


class TimelineTab(QWidget):
    """Everything that happened to the twin, in time order, and Attach data…."""

    def __init__(self, panel: TwinPanel):
        super().__init__()
        from twindesk.twin.timeline import EVENT_TYPES

        self.panel = panel
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.filter = QComboBox()
        self.filter.setObjectName("twin_timeline_filter")
        self.filter.addItem("all events", None)
        for t in EVENT_TYPES:
            self.filter.addItem(t, t)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        attach = QPushButton("Attach data…")
        attach.setObjectName("twin_attach")
        attach.setToolTip("Vitals, echo or labs (CSV, FHIR R4 JSON) or genetics (VCF)")
        attach.clicked.connect(lambda: panel.attach_dialog())
        row.addWidget(QLabel("Show"))
        row.addWidget(self.filter)
        row.addStretch(1)
        row.addWidget(attach)
        layout.addLayout(row)
        self.table = make_table(("Time (UTC)", "Type", "Summary"), "twin_timeline")
        layout.addWidget(self.table)

    def refresh(self) -> None:
        from twindesk.twin.timeline import timeline

        doc = self.panel.doc()
        if doc is None:
            fill_table(self.table, [])
            return
        wanted = self.filter.currentData()
        events = timeline(doc, {wanted} if wanted else None)
        fill_table(self.table, [(_time(e["time_utc"]), e["type"], e["summary"])
                                for e in events])


class VersionsTab(QWidget):
    """The versions (head marked), diff of two, revert to one (as a new version)."""

    def __init__(self, panel: TwinPanel):
        super().__init__()
        self.panel = panel
        layout = QVBoxLayout(self)
        split = QSplitter()
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.table = make_table(("", "Version", "Time (UTC)", "Kind", "Summary", "Parent"),
                                "twin_versions", multi=True)
        lv.addWidget(self.table)
        row = QHBoxLayout()
        self.diff_button = QPushButton("Diff")
        self.diff_button.setObjectName("twin_diff")
        self.diff_button.setToolTip("Select two versions (or one: compared with the head)")
        self.diff_button.clicked.connect(self.diff_selected)
        self.revert_button = QPushButton("Revert to selected…")
        self.revert_button.setObjectName("twin_revert")
        self.revert_button.setToolTip("Restore that state as a new version (nothing is deleted)")
        self.revert_button.clicked.connect(lambda: panel.revert_selected())
        row.addWidget(self.diff_button)
        row.addWidget(self.revert_button)
        row.addStretch(1)
        lv.addLayout(row)
        split.addWidget(left)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.diff_label = QLabel("Select versions and press Diff")
        self.diff_label.setObjectName("twin_diff_label")
        rv.addWidget(self.diff_label)
        self.diff_table = make_table(("Path", "Change", "Before", "After"), "twin_diff_table")
        rv.addWidget(self.diff_table)
        split.addWidget(right)
        split.setSizes([600, 500])
        layout.addWidget(split)
        self.versions: list[dict] = []

    def refresh(self) -> None:
        from twindesk.model.versions import versions

        doc = self.panel.doc()
        self.versions = list(reversed(versions(doc))) if doc else []   # newest first
        head = ((doc or {}).get("twin") or {}).get("head")
        fill_table(self.table, [("▶" if v["id"] == head else "", v["id"], _time(v["time_utc"]),
                                 v["kind"], v["summary"], v["parent"] or "-")
                                for v in self.versions])
        if not self.versions:
            fill_table(self.diff_table, [])
            self.diff_label.setText("No versions yet: the first change of the twin records one")

    def selected_ids(self) -> list[str]:
        return [self.versions[r]["id"] for r in selected_rows(self.table)]

    def diff_selected(self) -> None:
        from twindesk.model.versions import diff_versions

        ids = self.selected_ids()
        head = (self.panel.doc() or {}).get("twin", {}).get("head")
        if len(ids) == 1 and head:
            ids = [ids[0], head]
        if len(ids) != 2:
            self.panel.window_.errors.report(InputError(
                "select two versions to compare (or one, to compare it with the head)",
                "Ctrl+click a second row"))
            return
        a, b = sorted(ids, key=lambda v: int(v[1:]) if v[1:].isdigit() else 0)
        try:
            d = diff_versions(self.panel.window_.session.case, a, b)
        except InputError as exc:
            self.panel.window_.errors.report(exc)
            return
        rows = [(c["path"], c["change"], _short(c.get("a"), c.get("a_length")),
                 _short(c.get("b"), c.get("b_length"))) for c in d["changes"]]
        rows += [(f"artefact {x['name']}", x["change"], x.get("a_sha256", "")[:12],
                  x.get("b_sha256", "")[:12]) for x in d["artifacts"]]
        fill_table(self.diff_table, rows)
        self.diff_label.setText(f"{a} → {b}: " + ("the same state" if d["identical"] else
                                f"{len(d['changes'])} change(s), {len(d['artifacts'])} "
                                f"artefact(s)" + (" (first 200 shown)" if d["truncated"]
                                                  else "")))


def _short(value, length: int | None = None) -> str:
    if length is not None:
        return f"list of {length} items"
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


class TwinPanel(Panel):
    panel_id = "twin"
    title = "Twin"
    area = "bottom"

    def __init__(self, window):
        super().__init__(window)
        self._open = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("twin_tabs")
        self._scroll_of: dict[QWidget, QScrollArea] = {}
        self.timeline = TimelineTab(self)
        self.versions = VersionsTab(self)
        self.followup = FollowUpTab(self)
        self.calibration = CalibrationTab(self)
        self.accuracy = AccuracyTab(self)
        self.live = LiveTab(self)
        for tab, text in ((self.timeline, "Timeline"), (self.versions, "Versions"),
                          (self.followup, "Follow-up"), (self.calibration, "Calibration"),
                          (self.accuracy, "Predicted vs observed"),
                          (self.live, "Live view")):
            # scrollable, so the docked panel never forces a tall minimum window
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(tab)
            self.tabs.addTab(scroll, text)
            self._scroll_of[tab] = scroll
        layout.addWidget(self.tabs)

    def action_specs(self) -> list[ActionSpec]:
        return [
            ActionSpec("twin.attach", "&Attach clinical data…", "attach_dialog", "Twin",
                       tip="Vitals, echo, labs (CSV, FHIR R4) or genetics (VCF)"),
            ActionSpec("twin.followup", "Import &follow-up CT…", "followup_dialog", "Twin",
                       tip="Segment, measure and align a follow-up study; report growth"),
            ActionSpec("twin.recalibrate", "&Recalibrate to latest vitals", "recalibrate",
                       "Twin", tip="Refit the 0D model (a job; a new version)"),
            ActionSpec("twin.revert", "Re&vert to selected version…", "revert_selected",
                       "Twin", separator_before=True,
                       tip="Restore an earlier state as a new version"),
            ActionSpec("twin.live", "&Live view of vitals", "show_live", "Twin",
                       separator_before=True,
                       tip="Follow a growing vitals file against the predicted band "
                           "(planning support, not patient monitoring)"),
        ]

    # ------------------------------------------------------------------ case
    def doc(self) -> dict | None:
        """The open case's document (None while no case is open or it is closing)."""
        session = self.window_.session
        return None if session is None or not self._open else session.case.doc

    def refresh(self) -> None:
        for tab in (self.timeline, self.versions, self.followup, self.calibration,
                    self.accuracy):
            tab.refresh()

    def shutdown(self) -> None:
        self.live.stop()

    def case_opened(self, session) -> None:
        self._open = True
        self.refresh()

    def case_committed(self) -> None:
        self.refresh()

    def case_closed(self) -> None:
        self._open = False
        self.live.stop()
        self.window_.state.set_fusion(None)
        self.refresh()

    def show_tab(self, tab: QWidget) -> None:
        dock = self.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()
        self.tabs.setCurrentWidget(self._scroll_of[tab])

    def current_tab(self) -> QWidget:
        return self.tabs.currentWidget().widget()

    # --------------------------------------------------------------- actions
    def attach_dialog(self, path: Path | None = None) -> dict | None:
        """Attach a clinical file (``twindesk twin add``); returns its result or None."""
        from twindesk.twin.attach import attach_file

        if not require_saved(self.window_, "Attaching data"):
            return None
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Attach clinical data",
                                                    str(Path.home()), CLINICAL_FILES)
            if not chosen:
                return None
            path = Path(chosen)
        result = commit_now(self.window_, attach_file, Path(path))
        if result is not None:
            s = result["source"]
            extra = [f"{len(result['unknown'])} not read (unknown)"] if result["unknown"] else []
            extra += [f"{len(result['predictions_matched'])} prediction(s) observed"] \
                if result["predictions_matched"] else []
            self.window_.show_status(
                f"Attached {s['kind']} file {s['file_name']}: {len(result['observations'])} "
                f"observations, {len(result['genomic_flags'])} genomic flags; version "
                f"{result['version']['id']}" + ("; " + ", ".join(extra) if extra else ""),
                10000)
            self.show_tab(self.timeline)
        return result

    def revert_selected(self) -> dict | None:
        """Revert to the selected version after confirming (a new version; undoable by
        reverting again)."""
        from twindesk.model.versions import get_version, revert

        ids = self.versions.selected_ids()
        if len(ids) != 1:
            self.show_tab(self.versions)
            self.window_.errors.report(InputError("select one version to revert to",
                                                  "click its row in Twin ▸ Versions"))
            return None
        vid = ids[0]
        doc = self.doc()
        target = get_version(doc, vid)
        head = doc["twin"]["head"]
        if vid == head:
            self.window_.show_status(f"{vid} is already the current state")
            return None
        answer = self.window_.ask(
            "Revert the twin?",
            f"Restore the state of {vid} ({target['kind']}: {target['summary']})?\n\n"
            f"This records a new version whose state equals {vid}. Nothing is deleted: "
            f"reverting to {head} brings back the current state.", ("Yes", "No"), "No")
        if answer != "Yes" or not require_saved(self.window_, "Reverting"):
            return None
        volume_before = (doc["artifacts"].get("volume") or {}).get("sha256")
        version = commit_now(self.window_, revert, vid)
        if version is None:
            return None
        session = self.window_.session
        if (session.case.doc["artifacts"].get("volume") or {}).get("sha256") != volume_before:
            self.window_.open_case(session.path)   # another volume: load it again
        self.window_.show_status(f"Restored the state of {vid} as version {version['id']}")
        return version

    def followup_dialog(self) -> None:
        self.show_tab(self.followup)
        self.followup.import_dialog()

    def recalibrate(self) -> None:
        self.show_tab(self.calibration)
        self.calibration.recalibrate()

    def show_live(self) -> None:
        self.show_tab(self.live)
