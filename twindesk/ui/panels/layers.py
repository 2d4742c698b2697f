"""Layers panel: window presets, label overlays (visibility, opacity), 3D surfaces."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap, QIcon
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QLabel, QListWidget,
                               QListWidgetItem, QSlider, QVBoxLayout)

from twindesk.imaging.window import load_presets
from twindesk.ui.panels.base import Panel


def _swatch(rgb) -> QIcon:
    pix = QPixmap(12, 12)
    pix.fill(QColor(*rgb))
    return QIcon(pix)


class LayersPanel(Panel):
    panel_id = "layers"
    title = "Layers"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.preset = QComboBox()
        self.preset.setObjectName("window_preset")
        self.presets = load_presets()
        self.preset.addItem("Custom")
        for p in self.presets:
            self.preset.addItem(f"{p.name}  (W {p.width_hu:.0f} / L {p.level_hu:.0f})", p.id)
        self.preset.activated.connect(self._preset_chosen)
        form.addRow("Window", self.preset)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setObjectName("overlay_opacity")
        self.opacity.setRange(0, 100)
        self.opacity.setValue(int(100 * self.state.overlay_opacity))
        self.opacity.valueChanged.connect(lambda v: self.state.set_overlay_opacity(v / 100))
        form.addRow("Label opacity", self.opacity)
        layout.addLayout(form)
        layout.addWidget(QLabel("Labels (MPR overlay)"))
        self.labels = QListWidget()
        self.labels.setObjectName("label_list")
        self.labels.itemChanged.connect(self._label_toggled)
        layout.addWidget(self.labels)
        layout.addWidget(QLabel("3D view"))
        self.slices3d = QCheckBox("MPR planes in 3D")
        self.slices3d.setChecked(True)
        self.slices3d.toggled.connect(lambda on: window.view3d.set_slices_visible(on))
        layout.addWidget(self.slices3d)
        self.surfaces = QListWidget()
        self.surfaces.setObjectName("surface_list")
        self.surfaces.itemChanged.connect(self._surface_toggled)
        layout.addWidget(self.surfaces)
        self.state.layers_changed.connect(self._fill_labels)
        self.state.surfaces_changed.connect(self._fill_surfaces)
        self.state.display_changed.connect(self._sync_preset)

    def _preset_chosen(self, index: int) -> None:
        pid = self.preset.itemData(index)
        self.window_.apply_window_preset(pid) if pid else None

    def _sync_preset(self) -> None:
        s = self.state
        match = next((i + 1 for i, p in enumerate(self.presets)
                      if p.width_hu == s.window_width_hu and p.level_hu == s.window_level_hu), 0)
        self.preset.setCurrentIndex(match)

    def _fill(self, widget: QListWidget, items) -> None:
        widget.blockSignals(True)
        widget.clear()
        for name, color, visible in items:
            item = QListWidgetItem(_swatch(color), name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
            widget.addItem(item)
        widget.blockSignals(False)

    def _fill_labels(self) -> None:
        self._fill(self.labels, [(n, ly.color, ly.visible) for n, ly in self.state.layers.items()])

    def _fill_surfaces(self) -> None:
        self._fill(self.surfaces, [(n, s.color, s.visible)
                                   for n, s in self.state.surfaces.items()])

    def _label_toggled(self, item: QListWidgetItem) -> None:
        self.state.set_layer_visible(item.text(), item.checkState() == Qt.CheckState.Checked)

    def _surface_toggled(self, item: QListWidgetItem) -> None:
        self.state.set_surface_visible(item.text(), item.checkState() == Qt.CheckState.Checked)
