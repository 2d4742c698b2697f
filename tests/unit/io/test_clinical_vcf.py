"""VCF genomic flags: build required, ClinVar P/LP only, gene from GENEINFO / ANN / CSQ."""

from __future__ import annotations

import pytest

from twindesk.errors import InputError
from twindesk.io.clinical.vcf_reader import parse_vcf

HEADER = """##fileformat=VCFv4.2
##fileDate=20240115
##reference=GRCh38
##INFO=<ID=CLNSIG,Number=.,Type=String,Description="ClinVar clinical significance">
##INFO=<ID=GENEINFO,Number=1,Type=String,Description="Gene(s)">
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1
"""

ROWS = [
    # FBN1 pathogenic, heterozygous
    "15\t48410000\trs1\tG\tA\t.\tPASS\tCLNSIG=Pathogenic;GENEINFO=FBN1:2200\tGT\t0/1",
    # TGFBR2 via VEP CSQ, likely pathogenic, with a secondary term
    "3\t30650000\t.\tC\tT\t.\tPASS\tCLNSIG=Likely_pathogenic|risk_factor;CSQ=T|missense_variant|MODERATE|TGFBR2|ENSG1\tGT\t1/1",
    # SMAD3 via SnpEff ANN
    "15\t67200000\t.\tA\tG\t.\tPASS\tCLNSIG=Pathogenic/Likely_pathogenic;ANN=G|missense_variant|MODERATE|SMAD3|ENSG2\tGT\t0|1",
    # ACTA2 uncertain: not flagged
    "10\t88940000\t.\tT\tC\t.\tPASS\tCLNSIG=Uncertain_significance;GENEINFO=ACTA2:59\tGT\t0/1",
    # MYH11 conflicting: not flagged
    "16\t15700000\t.\tT\tC\t.\tPASS\tCLNSIG=Conflicting_classifications_of_pathogenicity;GENEINFO=MYH11:4629\tGT\t0/1",
    # COL3A1 pathogenic but not carried (0/0)
    "2\t188990000\t.\tG\tT\t.\tPASS\tCLNSIG=Pathogenic;GENEINFO=COL3A1:1281\tGT\t0/0",
    # BRCA2 pathogenic: not an aortic gene
    "13\t32300000\t.\tC\tG\t.\tPASS\tCLNSIG=Pathogenic;GENEINFO=BRCA2:675\tGT\t0/1",
]


def test_pathogenic_htad_variants_become_flags():
    b = parse_vcf(HEADER + "\n".join(ROWS) + "\n", "exome.vcf")
    flags = {f.gene: f for f in b.genomic_flags}
    assert set(flags) == {"FBN1", "TGFBR2", "SMAD3"}
    assert flags["FBN1"].significance == "Pathogenic"
    assert flags["TGFBR2"].significance == "Likely pathogenic"
    assert flags["SMAD3"].significance == "Pathogenic"
    assert flags["FBN1"].build == "GRCh38" and flags["FBN1"].time_utc == "2024-01-15T00:00:00Z"
    assert flags["FBN1"].variant == "15:48410000 G>A (rs1)"
    assert flags["FBN1"].origin == "line 8"
    assert b.meta["n_variants"] == 7 and b.meta["genome_build"] == "GRCh38"
    assert [i["genes"] for i in b.ignored] == [["BRCA2"]]


def test_build_must_be_stated():
    text = HEADER.replace("##reference=GRCh38\n", "") + ROWS[0] + "\n"
    with pytest.raises(InputError, match="does not state the genome build"):
        parse_vcf(text, "nobuild.vcf")


def test_build_from_contig_assembly_and_hg19():
    text = HEADER.replace("##reference=GRCh38", "##contig=<ID=15,length=102531392,assembly=hg19>")
    b = parse_vcf(text + ROWS[0] + "\n", "x.vcf")
    assert b.genomic_flags[0].build == "GRCh37"


def test_without_clinvar_significance_nothing_is_flagged_and_it_says_why():
    text = HEADER + "15\t48410000\t.\tG\tA\t.\tPASS\tGENEINFO=FBN1:2200\tGT\t0/1\n"
    b = parse_vcf(text, "raw.vcf")
    assert b.genomic_flags == []
    assert any("CLNSIG" in w for w in b.warnings)


def test_truncated_line_is_refused_with_line_number():
    with pytest.raises(InputError, match="bad.vcf, line 8"):
        parse_vcf(HEADER + "15\t48410000\trs1\n", "bad.vcf")
