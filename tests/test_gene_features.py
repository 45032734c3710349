"""Xpresso's mRNA half-life features (cisflow.data.gene_features) on a genome and a GTF written here,
each value worked out by hand from the coordinates and bases below."""

import math

import numpy as np
import pytest

from cisflow.data.gene_features import FEATURES, KEYS, read_gene_features, unversioned, write_gene_features
from cisflow.io.errors import InputError
from cisflow.io.genome import prepare_genome
from tests.conftest import write_fasta


def _bases(length, fill, **runs):
    """``length`` bases of ``fill`` with runs written at 1-based positions: ``at11="GGGGG"``."""
    bases = list(fill * length)
    for at, run in runs.items():
        start = int(at.removeprefix("at")) - 1
        bases[start : start + len(run)] = run
    return "".join(bases)


# chr1 (120 bp of A): gene PLUS's chosen transcript T1 has its 5' UTR at 11-20 (GGGGG at 11-15: GC 5/10),
# its ORF at 21-30, 41-60, 71-80 (C at 21-30: 10/40) and its 3' UTR at 81-90 (NNNNN at 81-85, a G at 86: 1/5,
# N not counted). Gene MINUS (minus strand) reads 118 -> 96: 5' UTR 113-118 (CCC: 3/6), ORF 106-112 and
# 99-100 (GG at 99-100: 2/9), 3' UTR 96-98 (TTC: 1/3).
CHR1 = _bases(120, "A", at11="GGGGG", at21="C" * 10, at81="NNNNNG", at96="TTCGG", at113="CCCAAA")
# chr2 (100 bp of T): gene NOUTR's ORF 1-12, 21-32 (G at 1-12: 12/24) and no UTR; gene NOINTRON one exon,
# 41-70: 5' UTR 41-45 (CCCCC: 1), ORF 46-66 (GCGCGCG at 46-52: 7/21), 3' UTR 67-70 (0).
CHR2 = _bases(100, "T", at1="G" * 12, at41="CCCCCGCGCGCG")


def gtf_line(chrom, kind, start, end, strand, gene, transcript, more=""):
    return f'{chrom}\tT\t{kind}\t{start}\t{end}\t.\t{strand}\t.\tgene_id "{gene}"; transcript_id "{transcript}"; {more}'


PLUS = "ENSG00000000001.5"
CODING, NMD = 'transcript_type "protein_coding";', 'transcript_type "nonsense_mediated_decay";'
GTF = "\n".join([
    "#!genome-build test",
    f'chr1\tT\tgene\t5\t100\t.\t+\t.\tgene_id "{PLUS}"; gene_type "protein_coding"; gene_name "PLUS";',
    gtf_line("chr1", "transcript", 11, 90, "+", PLUS, "T1", 'gene_name "PLUS";'),
    *(gtf_line("chr1", "exon", start, end, "+", PLUS, "T1", CODING) for start, end in [(11, 30), (41, 60), (71, 90)]),
    *(gtf_line("chr1", "CDS", start, end, "+", PLUS, "T1", CODING) for start, end in [(21, 30), (41, 60), (71, 77)]),
    gtf_line("chr1", "stop_codon", 78, 80, "+", PLUS, "T1"),
    gtf_line("chr1", "UTR", 11, 20, "+", PLUS, "T1"),
    *(gtf_line("chr1", "exon", start, end, "+", PLUS, "T2", CODING) for start, end in [(11, 30), (41, 60)]),
    *(gtf_line("chr1", "CDS", start, end, "+", PLUS, "T2", CODING) for start, end in [(21, 30), (41, 50)]),
    *(gtf_line("chr1", "exon", start, end, "+", PLUS, "T3", NMD) for start, end in [(5, 30), (41, 60), (71, 100)]),
    *(gtf_line("chr1", "CDS", start, end, "+", PLUS, "T3", NMD) for start, end in [(21, 30), (41, 60), (71, 80)]),
    *(gtf_line("chr1", "exon", start, end, "+", PLUS, "T0", CODING) for start, end in [(15, 30), (41, 60), (71, 90)]),
    *(gtf_line("chr1", "CDS", start, end, "+", PLUS, "T0", CODING) for start, end in [(21, 30), (41, 60), (71, 80)]),
    *(gtf_line("chr1", kind, start, end, "-", "ENSG00000000002.1", "TM", 'gene_name "MINUS";')
      for kind, start, end in [("exon", 106, 118), ("exon", 96, 100), ("CDS", 106, 112), ("CDS", 99, 100)]),
    *(gtf_line("2", kind, start, end, "+", "ENSG00000000003.2", "TN", 'gene_name "NOUTR";')
      for kind, start, end in [("exon", 1, 12), ("exon", 21, 32), ("CDS", 1, 12), ("CDS", 21, 29),
                               ("stop_codon", 30, 32)]),
    *(gtf_line("2", kind, start, end, "+", "ENSG00000000004.1", "TS", 'gene_name "NOINTRON";')
      for kind, start, end in [("exon", 41, 70), ("CDS", 46, 63), ("stop_codon", 64, 66)]),
    gtf_line("2", "exon", 80, 95, "+", "ENSG00000000005.1", "TL", 'gene_name "LNC"; transcript_type "lincRNA";'),
    *(gtf_line("chr9", kind, 1, end, "+", "ENSG00000000006.1", "TX", 'gene_name "ELSEWHERE";')
      for kind, end in [("exon", 50), ("CDS", 30)]),
]) + "\n"


def lg(value):
    return math.log10(value + 0.1)


# gene: (transcript, [5' UTR, ORF, 3' UTR, intron lengths], ORF exons, [GC of 5' UTR, ORF, 3' UTR])
EXPECTED = {
    # T1 over T2 (shorter ORF), T3 (nonsense-mediated decay: not protein_coding, for all its longer UTRs) and
    # T0 (same ORF, 5' UTR 15-20 shorter); its stop codon 78-80 joins the CDS 71-77: three ORF exons in 40 bases
    "ENSG00000000001.5": ("T1", [10, 40, 10, 20], 3, [5 / 10, 10 / 40, 1 / 5]),
    "ENSG00000000002.1": ("TM", [6, 9, 3, 5], 2, [3 / 6, 2 / 9, 1 / 3]),  # minus: 5' UTR 113-118, intron 101-105
    "ENSG00000000003.2": ("TN", [0, 24, 0, 8], 2, [0, 12 / 24, 0]),  # no UTR: length 0 (log -1), GC 0
    "ENSG00000000004.1": ("TS", [5, 21, 4, 0], 1, [1, 7 / 21, 0]),  # one exon: no intron
}


@pytest.fixture
def annotated(tmp_path):
    prepare_genome(write_fasta(tmp_path / "genome.fa.gz", {"chr1": CHR1, "chr2": CHR2}, gzipped=True),
                   tmp_path / "genome.fa")
    (tmp_path / "genes.gtf").write_text(GTF)
    return tmp_path / "genes.gtf", tmp_path / "genome.fa"


def test_xpresso_features_of_hand_worked_genes(annotated, tmp_path):
    annotation, genome = annotated
    table = write_gene_features(annotation, genome, tmp_path / "features.tsv.gz")
    assert list(table.columns) == [*KEYS, *FEATURES]
    assert table["gene_id"].tolist() == [f"ENSG0000000000{i}.{v}" for i, v in enumerate("51211", 1)] + [
        "ENSG00000000006.1"]
    assert table["gene_name"].tolist() == ["PLUS", "MINUS", "NOUTR", "NOINTRON", "LNC", "ELSEWHERE"]
    rows = table.set_index("gene_id")
    for gene, (transcript, lengths, orf_exons, gc) in EXPECTED.items():
        density = orf_exons * 1000 / lengths[1]
        assert rows.loc[gene, "transcript_id"] == transcript, gene
        assert rows.loc[gene, list(FEATURES)].tolist() == pytest.approx(
            [*(lg(length) for length in lengths), lg(density), *gc]), gene
    # the lincRNA has no ORF, the last gene lies on a contig the genome lacks: missing, not 0
    assert rows.loc["ENSG00000000005.1", "transcript_id"] == ""
    assert rows.loc[["ENSG00000000005.1", "ENSG00000000006.1"], list(FEATURES)].isna().all().all()
    written = read_gene_features(tmp_path / "features.tsv.gz")
    assert written[list(KEYS)].equals(table[list(KEYS)])
    assert np.allclose(written[list(FEATURES)], table[list(FEATURES)], rtol=1e-5, equal_nan=True)


def test_an_annotation_of_another_build_is_refused(annotated, tmp_path):
    annotation, genome = annotated
    beyond = tmp_path / "beyond.gtf"
    beyond.write_text('chr2\tT\texon\t90\t130\t.\t+\t.\tgene_id "G"; transcript_id "T";\n'
                      'chr2\tT\tCDS\t95\t120\t.\t+\t0\tgene_id "G"; transcript_id "T";\n')
    with pytest.raises(InputError, match=r"beyond.gtf: transcript T ends at 130, past the end of chr2 \(100 "
                                         r"bases\): is the annotation of the genome's build\?"):
        write_gene_features(beyond, genome, tmp_path / "out.tsv")


def test_ensembl_versions_are_stripped_and_other_ids_kept():
    assert unversioned("ENSG00000000003.10") == "ENSG00000000003"
    assert unversioned("ENSG00000182378.14_PAR_Y") == "ENSG00000182378_PAR_Y"
    assert unversioned("ENSMUSG00000000001.4") == "ENSMUSG00000000001"
    assert unversioned("gene.1") == "gene.1" and unversioned("ENSG00000000003") == "ENSG00000000003"
