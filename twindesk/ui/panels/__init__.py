"""Dockable panels. Later capabilities add one line here (``"module:Class"``)."""

PANELS = [
    "twindesk.ui.panels.segmentation:SegmentationPanel",
    "twindesk.ui.panels.layers:LayersPanel",
    "twindesk.ui.panels.reslice:ReslicePanel",
    "twindesk.ui.panels.measurements:MeasurementsPanel",
    "twindesk.ui.panels.twin:TwinPanel",
    "twindesk.ui.panels.network:NetworkPanel",
    "twindesk.ui.panels.aortic_root:AorticRootPanel",
    "twindesk.ui.panels.device:DevicePanel",
    "twindesk.ui.panels.laao:LAAOPanel",
    "twindesk.ui.panels.flow:FlowPanel",
]
