"""De-identification: the DICOM PS3.15 Basic Application Level Confidentiality Profile with
the Retain Longitudinal Temporal Information with Modified Dates Option.

One secret key per case makes every replacement consistent: the same source UID always maps
to the same new UID (``2.25.`` + 128 bits of HMAC-SHA256, PS3.5 B.2), and every date moves by
the same number of days, so a follow-up scan imported into the same twin, or an export of
it, stays linked to the first import without keeping any original identifier. The key lives
in ``case.doc["deid"]``; whoever holds the case can link (and undo the date shift), so
anything leaving the institution should be exported with a fresh key.

Two entry points share one action table (:mod:`.deid_table`): :meth:`Deidentifier.apply_to_meta`
for the keyword → value metadata the case stores, :meth:`Deidentifier.apply_to_dataset` for
pydicom datasets (exports).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from twindesk.errors import CaseError
from twindesk.io.dicom.deid_table import ACTIONS, PATIENT_CHARACTERISTICS, SHIFTED_DATES
from twindesk.io.dicom.tags import TAGS

PROFILE = "DICOM PS3.15 E.1 Basic Application Level Confidentiality Profile"
#: PS3.16 CID 7050 codes of the profile and options applied (DCM coding scheme).
CODES = {"basic": ("113100", "Basic Application Confidentiality Profile"),
         "modified_dates": ("113107", "Retain Longitudinal Temporal Information Modified "
                                      "Dates Option"),
         "patient_characteristics": ("113108", "Retain Patient Characteristics Option")}
DICOM_DEFINED_UID_ROOT = "1.2.840.10008."
PSEUDONYM_NAME = "ANONYMOUS"
_MAX_SHIFT_DAYS = 3650


@dataclass(frozen=True)
class Deidentifier:
    """Consistent de-identification under one secret key.

    Parameters
    ----------
    key
        The case's secret (32 random bytes from :meth:`new`).
    retain_patient_characteristics
        Keep age, sex, size, weight (PS3.15 E.3.4 option); off by default.
    """

    key: bytes
    retain_patient_characteristics: bool = False

    # ------------------------------------------------------------- persistence
    @classmethod
    def new(cls, retain_patient_characteristics: bool = False) -> Deidentifier:
        return cls(secrets.token_bytes(32), retain_patient_characteristics)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Deidentifier:
        """Rebuild from ``case.doc["deid"]`` (to import a follow-up or export consistently)."""
        try:
            key = bytes.fromhex(doc["key"])
        except (KeyError, TypeError, ValueError):
            raise CaseError("case.json: field 'deid.key' is missing or not hex",
                            "the de-identification key is damaged; re-import the case") from None
        return cls(key, bool(doc.get("options", {}).get("retain_patient_characteristics")))

    def to_doc(self) -> dict[str, Any]:
        """What ``case.doc["deid"]`` holds: key, profile, options and their codes."""
        codes = [CODES["basic"], CODES["modified_dates"]]
        if self.retain_patient_characteristics:
            codes.append(CODES["patient_characteristics"])
        return {"profile": PROFILE, "key": self.key.hex(),
                "options": {"modified_dates": True,
                            "retain_patient_characteristics": self.retain_patient_characteristics},
                "codes": [{"code": c, "scheme": "DCM", "meaning": m} for c, m in codes],
                "date_shift_days": self.date_shift_days,
                "pseudonym": self.pseudonym}

    # ------------------------------------------------------------ primitives
    def _digest(self, label: str, value: str) -> bytes:
        return hmac.new(self.key, f"{label}\0{value}".encode(), hashlib.sha256).digest()

    def uid(self, uid: str) -> str:
        """The replacement of ``uid`` (DICOM-defined class / syntax UIDs are kept)."""
        uid = str(uid).strip().rstrip("\0")
        if not uid or uid.startswith(DICOM_DEFINED_UID_ROOT):
            return uid
        return "2.25." + str(int.from_bytes(self._digest("uid", uid)[:16], "big"))

    @property
    def date_shift_days(self) -> int:
        """Days every date moves back (1 to 3650), fixed by the key."""
        return -(1 + int.from_bytes(self._digest("date", "shift")[:4], "big") % _MAX_SHIFT_DAYS)

    @property
    def pseudonym(self) -> str:
        """The replacement PatientID: derived from the key only, not from the original ID."""
        return "ANON-" + self._digest("patient", "id").hex()[:10].upper()

    def date(self, value: str) -> str:
        """Shift a DA (``YYYYMMDD``) or the date part of a DT value; unparsable → empty."""
        text = str(value).strip()
        if len(text) < 8 or not text[:8].isdigit():
            return ""
        try:
            day = _dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            return ""
        return (day + _dt.timedelta(days=self.date_shift_days)).strftime("%Y%m%d") + text[8:]

    # ---------------------------------------------------------------- actions
    def action(self, keyword: str, vr: str | None) -> str:
        """The action for an attribute: ``X``, ``Z``, ``U``, ``S`` (shift date) or ``K``."""
        if self.retain_patient_characteristics and keyword in PATIENT_CHARACTERISTICS:
            return "K"
        if keyword in SHIFTED_DATES:
            return "S"
        if keyword in ACTIONS:
            return "D" if keyword in ("PatientName", "PatientID") else ACTIONS[keyword]
        if vr == "UI":
            return "U"
        if vr in ("DA", "DT"):
            return "S"
        if vr in ("PN", "LT", "ST", "UT", "UN"):  # names, free text, unknown content
            return "X"
        return "K"

    def _dummy(self, keyword: str) -> str:
        return PSEUDONYM_NAME if keyword == "PatientName" else self.pseudonym

    def _replace(self, keyword: str, vr: str | None, value: Any) -> tuple[bool, Any]:
        """(keep?, new value) for one attribute."""
        act = self.action(keyword, vr)
        if act == "X":
            return False, None
        if act == "Z":
            return True, ""
        if act == "D":
            return True, self._dummy(keyword)
        if act == "U":
            if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
                return True, [self.uid(v) for v in value]
            return True, self.uid(value) if value else value
        if act == "S":
            return True, self.date(value) if value else value
        return True, value

    def apply_to_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        """A de-identified copy of a DICOM-keyword → value mapping (what the case stores)."""
        out = {}
        for keyword, value in meta.items():
            vr = TAGS.get(keyword, (0, None))[1]
            keep, new = self._replace(keyword, vr, value)
            if keep:
                out[keyword] = new
        out["PatientIdentityRemoved"] = "YES"
        return out

    def apply_to_dataset(self, ds):
        """De-identify a pydicom ``Dataset`` in place (file meta included); returns it."""
        from pydicom.dataset import Dataset
        from pydicom.sequence import Sequence

        self._clean(ds)
        meta = getattr(ds, "file_meta", None)
        if meta is not None and "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = self.uid(meta.MediaStorageSOPInstanceUID)
        ds.PatientIdentityRemoved = "YES"
        ds.LongitudinalTemporalInformationModified = "MODIFIED"
        codes = self.to_doc()["codes"]
        ds.DeidentificationMethod = [c["meaning"] for c in codes]  # LO: one value per option
        items = []
        for code in codes:
            item = Dataset()
            item.CodeValue = code["code"]
            item.CodingSchemeDesignator = code["scheme"]
            item.CodeMeaning = code["meaning"]
            items.append(item)
        ds.DeidentificationMethodCodeSequence = Sequence(items)
        return ds

    def _clean(self, ds) -> None:
        for elem in list(ds):
            group = elem.tag.group
            if elem.tag.is_private or 0x5000 <= group <= 0x50FF or (
                    0x6000 <= group <= 0x60FF and elem.tag.element in (0x3000, 0x4000)):
                del ds[elem.tag]
                continue
            if elem.VR == "SQ":
                if self.action(elem.keyword, "SQ") == "X":
                    del ds[elem.tag]
                else:
                    for item in elem.value:
                        self._clean(item)
                continue
            keep, new = self._replace(elem.keyword, elem.VR, elem.value)
            if not keep:
                del ds[elem.tag]
            elif new is not elem.value:
                elem.value = new
