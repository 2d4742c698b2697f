"""Genes of heritable thoracic aortic disease (HTAD) that raise a genomic flag.

Gene → condition as grouped by the 2022 ACC/AHA aortic disease guideline (Isselbacher et
al., Circulation 2022;146:e334–e482, section on HTAD) and the GeneReviews *Heritable
Thoracic Aortic Disease Overview* (Milewicz & Regalado, updated 2023): Marfan syndrome
(FBN1), Loeys-Dietz syndrome (TGFBR1, TGFBR2, SMAD3, TGFB2, TGFB3), vascular
Ehlers-Danlos syndrome (COL3A1) and nonsyndromic HTAD (ACTA2, MYH11, MYLK, PRKG1, LOX).
Variants in other genes are reported as ignored, never flagged.
"""

from __future__ import annotations

HTAD_GENES: dict[str, str] = {
    "FBN1": "Marfan syndrome",
    "TGFBR1": "Loeys-Dietz syndrome",
    "TGFBR2": "Loeys-Dietz syndrome",
    "SMAD3": "Loeys-Dietz syndrome",
    "TGFB2": "Loeys-Dietz syndrome",
    "TGFB3": "Loeys-Dietz syndrome",
    "COL3A1": "vascular Ehlers-Danlos syndrome",
    "ACTA2": "nonsyndromic heritable thoracic aortic disease",
    "MYH11": "nonsyndromic heritable thoracic aortic disease",
    "MYLK": "nonsyndromic heritable thoracic aortic disease",
    "PRKG1": "nonsyndromic heritable thoracic aortic disease",
    "LOX": "nonsyndromic heritable thoracic aortic disease",
}


def significance_label(text: str | None) -> str | None:
    """``"Pathogenic"`` / ``"Likely pathogenic"`` for a P/LP classification, else ``None``.

    Accepts ClinVar's VCF spelling (``Pathogenic``, ``Likely_pathogenic``,
    ``Pathogenic/Likely_pathogenic``, optionally followed by ``|`` or ``,`` and secondary
    terms such as ``risk_factor``) and free text. Conflicting, uncertain or benign
    classifications return ``None``.
    """
    if not text:
        return None
    primary = text.replace(",", "|").split("|")[0].strip().lower().replace("_", " ")
    terms = {t.strip() for t in primary.split("/")}
    if terms == {"pathogenic"} or terms == {"pathogenic", "likely pathogenic"}:
        return "Pathogenic"
    if terms in ({"likely pathogenic"}, {"presumed pathogenic"}):
        return "Likely pathogenic"
    return None
