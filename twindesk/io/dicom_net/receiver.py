"""A C-STORE receiver (storage SCP) that files incoming instances into the inbox."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from twindesk.errors import InputError
from twindesk.io.dicom_net.inbox import log_event, store_file

STATUS_SUCCESS = 0x0000
STATUS_CANNOT_UNDERSTAND = 0xC000


@dataclass(frozen=True)
class ReceiverParams:
    """Where and as whom to listen. ``allow`` empty = accept any calling AE title."""

    inbox: Path
    port: int
    ae_title: str = "TWINDESK"
    bind: str = "127.0.0.1"
    allow: tuple[str, ...] = ()


def check_ae_title(title: str, field_name: str) -> str:
    if not (1 <= len(title) <= 16) or not title.isascii() or "\\" in title or \
            not all(c.isprintable() for c in title) or not title.strip():
        raise InputError(f"{field_name}: '{title}' is not a valid AE title",
                         "use 1-16 printable ASCII characters without backslash")
    return title.strip()


@dataclass
class ReceiverStats:
    files: int = 0
    failures: int = 0
    series: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class DicomReceiver:
    """Start with :meth:`start`, stop with :meth:`stop`; counts in :attr:`stats`."""

    def __init__(self, params: ReceiverParams):
        self.params = params
        self.stats = ReceiverStats()
        self._server = None

    def _on_store(self, event) -> int:
        ds = event.dataset
        try:
            path = store_file(self.params.inbox, ds.get("StudyInstanceUID"),
                              ds.get("SeriesInstanceUID"), ds.get("SOPInstanceUID"),
                              event.encoded_dataset())
        except (OSError, ValueError) as exc:
            with self.stats.lock:
                self.stats.failures += 1
            log_event(self.params.inbox, {"event": "store-failed", "error": str(exc),
                                          "calling_ae": event.assoc.requestor.ae_title})
            return STATUS_CANNOT_UNDERSTAND
        with self.stats.lock:
            self.stats.files += 1
            key = str(path.parent)
            self.stats.series[key] = self.stats.series.get(key, 0) + 1
        return STATUS_SUCCESS

    def _on_association(self, event) -> None:
        log_event(self.params.inbox, {"event": "association",
                                      "calling_ae": event.assoc.requestor.ae_title,
                                      "address": event.assoc.requestor.address})

    def _on_release(self, event) -> None:
        log_event(self.params.inbox, {"event": "released",
                                      "calling_ae": event.assoc.requestor.ae_title,
                                      "files_so_far": self.stats.files})

    def _on_rejected(self, event) -> None:
        log_event(self.params.inbox, {"event": "refused",
                                      "calling_ae": event.assoc.requestor.ae_title,
                                      "address": event.assoc.requestor.address,
                                      "reason": "calling AE title not in the allow-list"})

    def start(self) -> None:
        from pynetdicom import AE, AllStoragePresentationContexts, evt
        from pynetdicom.sop_class import Verification

        Path(self.params.inbox).mkdir(parents=True, exist_ok=True)
        ae = AE(ae_title=check_ae_title(self.params.ae_title, "--ae-title"))
        ae.supported_contexts = AllStoragePresentationContexts
        ae.add_supported_context(Verification)
        if self.params.allow:
            ae.require_calling_aet = [check_ae_title(a, "--allow") for a in self.params.allow]
        handlers = [(evt.EVT_C_STORE, self._on_store),
                    (evt.EVT_ACCEPTED, self._on_association),
                    (evt.EVT_RELEASED, self._on_release),
                    (evt.EVT_REJECTED, self._on_rejected)]
        try:
            self._server = ae.start_server((self.params.bind, self.params.port), block=False,
                                           evt_handlers=handlers)
        except OSError as exc:
            raise InputError(f"--port {self.params.port}: cannot listen on "
                             f"{self.params.bind}:{self.params.port} ({exc.strerror})",
                             "choose a free port (twindesk doctor --port N checks one)") from None
        log_event(self.params.inbox, {"event": "started", "port": self.params.port,
                                      "bind": self.params.bind, "ae_title": self.params.ae_title,
                                      "allow": list(self.params.allow)})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None
            log_event(self.params.inbox, {"event": "stopped", "files": self.stats.files})
