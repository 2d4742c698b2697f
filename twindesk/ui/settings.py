"""Per-user GUI settings (window geometry and state, recent cases, display choices) in an INI
file under :func:`twindesk.paths.user_config_dir` — never in the install folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from twindesk.paths import user_config_dir

MAX_RECENT = 8


class Settings:
    """Thin typed wrapper around an INI :class:`QSettings`."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else user_config_dir() / "gui.ini"
        self.qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def recent_cases(self) -> list[Path]:
        """Recent case folders, newest first, only those that still exist."""
        raw = self.qs.value("recent/cases", [])
        items = [raw] if isinstance(raw, str) else list(raw or [])
        return [Path(p) for p in items if p and (Path(p) / "case.json").is_file()]

    def add_recent(self, case_dir: Path) -> None:
        case_dir = Path(case_dir).resolve()
        items = [case_dir] + [p for p in self.recent_cases() if p.resolve() != case_dir]
        self.qs.setValue("recent/cases", [str(p) for p in items[:MAX_RECENT]])
        self.qs.sync()

    def clear_recent(self) -> None:
        self.qs.setValue("recent/cases", [])
        self.qs.sync()

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)
        self.qs.sync()

    def window_geometry(self) -> QByteArray | None:
        value = self.qs.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self.qs.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def value(self, key: str, default=None):
        return self.qs.value(key, default)

    def set_value(self, key: str, value) -> None:
        self.qs.setValue(key, value)
        self.qs.sync()
