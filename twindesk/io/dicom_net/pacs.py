"""PACS query/retrieve as a client: C-FIND (study root) and C-GET into the inbox.

C-GET is used rather than C-MOVE because it needs no port open on this workstation and no
registration of our AE in the PACS's destination list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twindesk.errors import InputError
from twindesk.io.dicom_net.inbox import log_event, store_file
from twindesk.io.dicom_net.receiver import check_ae_title

FIND_KEYS = ("PatientName", "PatientID", "StudyDate", "StudyDescription", "StudyInstanceUID",
             "ModalitiesInStudy", "AccessionNumber", "NumberOfStudyRelatedInstances")


@dataclass(frozen=True)
class PacsPeer:
    host: str
    port: int
    called_ae: str = "ANY-SCP"
    calling_ae: str = "TWINDESK"
    timeout_s: float = 30.0


def _associate(peer: PacsPeer, ae, **kwargs):
    assoc = ae.associate(peer.host, peer.port, ae_title=check_ae_title(peer.called_ae, "--called-ae"),
                         **kwargs)
    if not assoc.is_established:
        reason = ("rejected the association" if assoc.is_rejected else
                  "did not answer or aborted the association (is it running there?)")
        raise InputError(f"PACS {peer.called_ae}@{peer.host}:{peer.port} {reason}",
                         "check host, port and AE titles, and that the PACS knows "
                         f"the calling AE '{peer.calling_ae}'")
    return assoc


def _require_status(status, peer: PacsPeer, what: str, service: str) -> None:
    """pynetdicom yields an empty status when the peer aborts or stops answering."""
    if status is None or "Status" not in status:
        raise InputError(f"PACS {peer.called_ae}@{peer.host}:{peer.port} ended the {what} "
                         f"without an answer (it may not know the calling AE "
                         f"'{peer.calling_ae}')",
                         f"ask the PACS administrator to allow {service} for this AE title, "
                         "or try again with a longer --timeout-s")


def _new_ae(peer: PacsPeer):
    from pynetdicom import AE

    ae = AE(ae_title=check_ae_title(peer.calling_ae, "--ae-title"))
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = peer.timeout_s
    return ae


def find_studies(peer: PacsPeer, *, patient_id: str = "", patient_name: str = "",
                 study_date: str = "", modality: str = "",
                 study_uid: str = "") -> list[dict[str, Any]]:
    """C-FIND at STUDY level; returns one dict per matching study."""
    from pydicom.dataset import Dataset
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FindModel

    ae = _new_ae(peer)
    ae.add_requested_context(FindModel)
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.PatientName = patient_name
    query.PatientID = patient_id
    query.StudyDate = study_date
    query.StudyDescription = ""
    query.StudyInstanceUID = study_uid
    query.ModalitiesInStudy = modality
    query.AccessionNumber = ""
    query.NumberOfStudyRelatedInstances = ""
    assoc = _associate(peer, ae)
    studies = []
    try:
        for status, identifier in assoc.send_c_find(query, FindModel):
            _require_status(status, peer, "query", "C-FIND")
            if status.Status in (0xFF00, 0xFF01) and identifier is not None:
                studies.append({k: _text(identifier.get(k)) for k in FIND_KEYS})
            elif status.Status not in (0x0000, 0xFF00, 0xFF01):
                raise InputError(f"PACS refused the query (status 0x{status.Status:04X})",
                                 "check that the PACS allows C-FIND from this AE title")
    finally:
        assoc.release()
    return studies


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return [str(v) for v in value]
    return str(value)


def get_study(peer: PacsPeer, inbox: Path, study_uid: str, series_uid: str = "",
              progress=None, cancel=None) -> dict[str, Any]:
    """C-GET a study (or one series) into the inbox; returns counts and folders."""
    from pydicom.dataset import Dataset
    from pynetdicom import StoragePresentationContexts, build_role, evt
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet as GetModel

    if not study_uid:
        raise InputError("--study-uid is required", "find it first with 'twindesk pacs find'")
    ae = _new_ae(peer)
    ae.add_requested_context(GetModel)
    # C-GET returns instances on the same association: we act as storage SCP for them.
    contexts = [c for c in StoragePresentationContexts][:127]
    for ctx in contexts:
        ae.add_requested_context(ctx.abstract_syntax)
    roles = [build_role(ctx.abstract_syntax, scp_role=True) for ctx in contexts]
    stored: dict[str, int] = {}

    def on_store(event) -> int:
        ds = event.dataset
        path = store_file(inbox, ds.get("StudyInstanceUID"), ds.get("SeriesInstanceUID"),
                          ds.get("SOPInstanceUID"), event.encoded_dataset())
        stored[str(path.parent)] = stored.get(str(path.parent), 0) + 1
        return 0x0000

    query = Dataset()
    query.QueryRetrieveLevel = "SERIES" if series_uid else "STUDY"
    query.StudyInstanceUID = study_uid
    if series_uid:
        query.SeriesInstanceUID = series_uid
    assoc = _associate(peer, ae, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    final_status = None
    try:
        for status, _ in assoc.send_c_get(query, GetModel):
            _require_status(status, peer, "retrieve", "C-GET")
            final_status = status.Status
            remaining = status.get("NumberOfRemainingSuboperations")
            done = status.get("NumberOfCompletedSuboperations")
            if progress and remaining is not None and done is not None and remaining + done:
                progress(done / (remaining + done), f"{done} received")
            if cancel is not None and cancel.cancelled:
                assoc.send_c_cancel(1, query_model=GetModel)
                cancel.check()
    finally:
        assoc.release()
    files = sum(stored.values())
    log_event(inbox, {"event": "c-get", "peer": f"{peer.called_ae}@{peer.host}:{peer.port}",
                      "study_uid": study_uid, "series_uid": series_uid, "files": files})
    if final_status not in (0x0000, 0xB000) or files == 0:
        raise InputError(f"PACS retrieve of study {study_uid} gave {files} files "
                         f"(status 0x{(final_status or 0):04X})",
                         "check the UID with 'twindesk pacs find' and that the PACS allows C-GET")
    return {"study_uid": study_uid, "series_uid": series_uid or None, "files": files,
            "folders": sorted(stored)}
