"""The central area: views arranged by named layouts; double-click maximises one view."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QWidget

#: Layout name → rows of view names.
LAYOUTS: dict[str, list[list[str]]] = {
    "standard": [["axial", "sagittal"], ["coronal", "3d"]],
    "vessel": [["oblique", "curved"], ["axial", "3d"]],
    "mpr": [["axial", "sagittal"], ["coronal", "oblique"]],
}
LAYOUT_TITLES = {"standard": "MPR + 3D", "vessel": "Oblique + curved + 3D",
                 "mpr": "MPR + oblique"}


class ViewGrid(QWidget):
    def __init__(self, views: dict[str, QWidget], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("view_grid")
        self.views = views
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        self.layout_name = "standard"
        self.maximized: str | None = None
        for view in views.values():
            view.setParent(self)
            view.hide()
        self.set_layout("standard")

    def set_layout(self, name: str) -> None:
        self.layout_name, self.maximized = name, None
        self._arrange(LAYOUTS[name])

    def toggle_maximized(self, view_name: str) -> None:
        if self.maximized == view_name:
            self.set_layout(self.layout_name)
        else:
            self.maximized = view_name
            self._arrange([[view_name]])

    def visible_names(self) -> list[str]:
        rows = [[self.maximized]] if self.maximized else LAYOUTS[self.layout_name]
        return [n for row in rows for n in row]

    def _arrange(self, rows: list[list[str]]) -> None:
        wanted = {n for row in rows for n in row}
        for name, view in self.views.items():
            self.grid.removeWidget(view)
            if name not in wanted:
                view.hide()
        for r, row in enumerate(rows):
            for c, name in enumerate(row):
                self.grid.addWidget(self.views[name], r, c)
                self.views[name].show()
        for i in range(3):
            self.grid.setRowStretch(i, 1 if i < len(rows) else 0)
            self.grid.setColumnStretch(i, 1 if i < max(len(r) for r in rows) else 0)
