"""Display surfaces of label masks, built off the UI thread.

After every mask change the 3D view needs a new surface; extracting, smoothing and decimating
one takes from a fraction of a second to seconds, so it runs on a private one-thread pool
(VTK releases the GIL while it works). Requests coalesce per structure: a result that is
older than the structure's latest request is dropped.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from twindesk.geometry.surface import PRESETS, mask_surface


class _Done(QObject):
    finished = Signal(str, int, object)  # structure, request number, mesh or exception


class _Build(QRunnable):
    def __init__(self, structure, number, mask, geometry, done: _Done):
        super().__init__()
        self.args = (structure, number, mask, geometry)
        self.done = done

    def run(self) -> None:
        import pyvista as pv

        structure, number, mask, geometry = self.args
        try:
            result = pv.wrap(mask_surface(mask, geometry, PRESETS["view"]))
        except Exception as exc:  # noqa: BLE001 - handed to the UI thread, reported there
            result = exc
        self.done.finished.emit(structure, number, result)


class SurfaceBuilder(QObject):
    """Builds display surfaces for :class:`~twindesk.ui.state.ViewerState` layers."""

    def __init__(self, state, report_error, parent: QObject | None = None):
        super().__init__(parent)
        self.state, self.report_error = state, report_error
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.latest: dict[str, int] = {}
        self._done = _Done()
        self._done.finished.connect(self._finished)

    def request(self, structure: str) -> None:
        """(Re)build the surface of a layer; removes it when the layer is gone or empty."""
        number = self.latest.get(structure, 0) + 1
        self.latest[structure] = number
        layer = self.state.layers.get(structure)
        if layer is None or not layer.mask.any():
            self.state.remove_surface(structure)
            return
        self.pool.start(_Build(structure, number, layer.mask.astype(bool),
                               self.state.geometry, self._done))

    def _finished(self, structure: str, number: int, result) -> None:
        if number != self.latest.get(structure) or structure not in self.state.layers:
            return  # superseded by a newer edit, or the layer went away
        if isinstance(result, Exception):
            self.report_error(result, "")
            return
        self.state.set_surface(structure, result, meta={"preview": True})

    def wait(self, timeout_ms: int = 60000) -> None:
        """Block until queued builds are done (screenshots, closing)."""
        self.pool.waitForDone(timeout_ms)

    def clear(self) -> None:
        self.latest = {name: n + 1 for name, n in self.latest.items()}  # drop pending results
