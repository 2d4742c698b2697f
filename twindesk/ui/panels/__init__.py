"""Dockable panels. Later capabilities add one line here (``"module:Class"``)."""

PANELS = [
    "twindesk.ui.panels.segmentation:SegmentationPanel",
    "twindesk.ui.panels.layers:LayersPanel",
    "twindesk.ui.panels.reslice:ReslicePanel",
    "twindesk.ui.panels.measurements:MeasurementsPanel",
]
