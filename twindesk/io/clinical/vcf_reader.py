"""Genomic flags from a VCF (variant call format 4.x) file.

Requirements, checked with a message naming the file and line:

* the genome build is stated in the header: ``##reference=`` or ``##assembly=`` naming
  GRCh37/hg19 or GRCh38/hg38, or ``##contig=<…,assembly=…>``;
* a variant counts only when a ClinVar clinical significance field (INFO ``CLNSIG``)
  classes it Pathogenic or Likely pathogenic (conflicting, uncertain and benign calls
  never count);
* the gene comes from INFO ``GENEINFO`` (ClinVar, ``SYMBOL:ID|…``), ``ANN`` (SnpEff, 4th
  field) or ``CSQ`` (VEP, the ``SYMBOL`` field named in the header's ``Format:``);
* when samples are present, a variant whose genotypes are all reference or missing
  (``0/0``, ``./.``) is not carried and is skipped.

Only genes of :data:`~twindesk.io.clinical.genes.HTAD_GENES` raise flags; other P/LP
variants are listed as ignored.
"""

from __future__ import annotations

import re
from typing import Any

from twindesk.errors import InputError
from twindesk.io.clinical.genes import HTAD_GENES, significance_label
from twindesk.io.clinical.records import ClinicalBatch, GenomicFlag, parse_time_utc

_BUILDS = (("grch38", "GRCh38"), ("hg38", "GRCh38"), ("grch37", "GRCh37"), ("hg19", "GRCh37"),
           ("b37", "GRCh37"), ("ncbi36", "NCBI36"), ("hg18", "NCBI36"))


def looks_like_vcf(text: str) -> bool:
    return text.lstrip("\ufeff").startswith("##fileformat=VCF")


def _build_from_header(lines: list[str]) -> str | None:
    for line in lines:
        low = line.lower()
        if low.startswith(("##reference=", "##assembly=")) or (
                low.startswith("##contig=") and "assembly=" in low):
            for token, build in _BUILDS:
                if token in low:
                    return build
    return None


def _csq_symbol_index(lines: list[str]) -> int | None:
    for line in lines:
        if line.startswith("##INFO=<ID=CSQ"):
            m = re.search(r"Format:\s*([^\"]+)", line)
            if m:
                fields = m.group(1).strip().split("|")
                return fields.index("SYMBOL") if "SYMBOL" in fields else None
    return None


def _info(field: str) -> dict[str, str]:
    out = {}
    for item in field.split(";"):
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _genes(info: dict[str, str], csq_symbol: int | None) -> list[str]:
    genes: list[str] = []
    if info.get("GENEINFO"):
        genes += [g.split(":")[0] for g in info["GENEINFO"].split("|")]
    if info.get("ANN"):
        genes += [a.split("|")[3] for a in info["ANN"].split(",") if len(a.split("|")) > 3]
    if info.get("CSQ") and csq_symbol is not None:
        genes += [c.split("|")[csq_symbol] for c in info["CSQ"].split(",")
                  if len(c.split("|")) > csq_symbol]
    seen: list[str] = []
    for g in genes:
        g = g.strip().upper()
        if g and g not in seen:
            seen.append(g)
    return seen


def _carried(fields: list[str]) -> bool:
    if len(fields) < 10:
        return True  # sites-only VCF: the variant is reported for this person
    fmt = fields[8].split(":")
    if "GT" not in fmt:
        return True
    gi = fmt.index("GT")
    for sample in fields[9:]:
        parts = sample.split(":")
        gt = parts[gi] if gi < len(parts) else "."
        alleles = re.split(r"[/|]", gt)
        if any(a not in ("0", ".") for a in alleles):
            return True
    return False


def parse_vcf(text: str, name: str) -> ClinicalBatch:
    """Parse VCF text into genomic flags (see the module doc)."""
    lines = text.lstrip("\ufeff").splitlines()
    header = [ln for ln in lines if ln.startswith("##")]
    build = _build_from_header(header)
    if build is None:
        raise InputError(f"{name}: the VCF header does not state the genome build",
                         "the file needs a ##reference= (or ##assembly=) line naming GRCh37 "
                         "or GRCh38; ask the laboratory for the annotated VCF")
    when = None
    for line in header:
        if line.lower().startswith("##filedate="):
            raw = line.split("=", 1)[1].strip()
            if re.fullmatch(r"\d{8}", raw):
                raw = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
            when = parse_time_utc(raw, f"{name}, ##fileDate")
    csq_symbol = _csq_symbol_index(header)
    batch = ClinicalBatch("vcf", meta={"genome_build": build, "file_date_utc": when,
                                        "n_variants": 0})
    saw_clnsig = False
    for line_no, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 8:
            raise InputError(f"{name}, line {line_no}: {len(fields)} tab-separated fields, "
                             "a VCF data line has at least 8", "check the file is a VCF")
        batch.meta["n_variants"] += 1
        info = _info(fields[7])
        if "CLNSIG" in info:
            saw_clnsig = True
        label = significance_label(info.get("CLNSIG"))
        if label is None or not _carried(fields):
            continue
        variant = f"{fields[0]}:{fields[1]} {fields[3]}>{fields[4]}"
        if fields[2] not in ("", "."):
            variant += f" ({fields[2]})"
        genes = _genes(info, csq_symbol)
        flagged = [g for g in genes if g in HTAD_GENES]
        if not flagged:
            batch.ignored.append({"line": line_no, "variant": variant, "genes": genes,
                                  "significance": label,
                                  "reason": "not a heritable thoracic aortic disease gene"})
        for gene in flagged:
            batch.genomic_flags.append(GenomicFlag(gene, label, variant, HTAD_GENES[gene],
                                                   build, f"line {line_no}", when))
    if not saw_clnsig:
        batch.warnings.append(f"{name}: no variant carries a ClinVar significance (INFO "
                              "CLNSIG); without it no variant can be classed pathogenic")
    return batch


