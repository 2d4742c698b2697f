"""Text that comes out of DICOM files: decoded by its character set, cleaned for display,
and never used as a path unless made safe.

Strings in a file are untrusted: a SeriesDescription may hold ``../../x``, terminal escape
sequences or right-to-left overrides. Nothing here is ever joined into a path except through
:func:`safe_filename`.
"""

from __future__ import annotations

import re
import unicodedata
import warnings

_TAG_FOR_VR = {"PN": 0x00100010, "LO": 0x00081030, "SH": 0x00180015, "ST": 0x00081080,
               "LT": 0x00084000, "UT": 0x00400280, "UC": 0x00400120}

# Unicode format characters that reorder or hide text (bidi overrides, zero-width marks).
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"}
_INVISIBLE.update(chr(c) for c in range(0x202A, 0x202F))
_INVISIBLE.update(chr(c) for c in range(0x2066, 0x206A))
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE_IN_NAME = re.compile(r"[^\w.\-]+")


def decode_text(raw: bytes, vr: str, charsets: tuple[str, ...]) -> str:
    """Decode a text value (PN, LO, SH, ST, LT, UT, UC) with its SpecificCharacterSet.

    Pure ASCII without an escape byte decodes identically under every DICOM character set, so
    it is decoded directly; anything else goes through pydicom's implementation of PS3.5
    section 6 (single-byte sets, UTF-8, GB18030, and ISO 2022 code extensions such as the
    Japanese ``ISO 2022 IR 87`` / ``IR 13``). Undecodable bytes become U+FFFD.
    """
    if raw.isascii() and b"\x1b" not in raw:
        return raw.decode("ascii").rstrip("\0 ")
    from pydicom.charset import decode_element
    from pydicom.dataelem import DataElement

    with warnings.catch_warnings():
        # pydicom warns about unknown charsets and bad bytes, then substitutes; the result is
        # what we show, so the warning has no further use here
        warnings.simplefilter("ignore")
        elem = DataElement(_TAG_FOR_VR.get(vr, 0x00081030), vr, raw)
        decode_element(elem, list(charsets) or None)
        value = elem.value
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return str(value).rstrip("\0 ")


def clean_text(value: object, max_len: int = 200) -> str:
    """A single-line, printable version of ``value`` for display, logs and ``case.json``.

    Control characters (C0, C1, including ESC of terminal escape sequences) and invisible or
    reordering format characters are removed, whitespace runs become one space, the result is
    NFC-normalised and cut to ``max_len`` characters.
    """
    text = unicodedata.normalize("NFC", str(value if value is not None else ""))
    kept = []
    for ch in text:
        if ch in _INVISIBLE:
            continue
        if unicodedata.category(ch) == "Cc":
            kept.append(" " if ch in "\t\n\r\v\f" else "")
        else:
            kept.append(ch)
    text = " ".join("".join(kept).split())
    return text if len(text) <= max_len else text[: max_len - 1] + "\u2026"


def safe_filename(value: object, default: str = "unnamed", max_len: int = 64) -> str:
    """A file-name component derived from untrusted text: letters, digits, ``.``, ``-``, ``_``.

    Separators and everything else become ``_``; leading dots are removed (no ``..`` and no
    hidden files), Windows device names get a ``_`` suffix. Never empty, never a path.

    Examples
    --------
    >>> safe_filename("../../x")
    'x'
    >>> safe_filename("CT 75% / Herz")
    'CT_75_Herz'
    """
    text = _UNSAFE_IN_NAME.sub("_", clean_text(value, max_len=4 * max_len))
    text = text.strip("._- ")
    text = re.sub(r"_{2,}", "_", text)[:max_len].rstrip("._- ")
    if not text:
        return default
    stem, dot, rest = text.partition(".")
    if stem.upper() in _WINDOWS_RESERVED:  # "nul.txt" is the NUL device too
        text = f"{stem}_{dot}{rest}"
    return text
