"""Gene annotations read (cisflow.io.annotation): GTF and GFF3 alike, gzipped or not, a bad line named."""

import gzip

import pytest

from cisflow.io.annotation import Transcript, read_annotation
from cisflow.io.errors import InputError

GTF = """\
#!genome-build GRCh37.p13
chr1\tHAVANA\tgene\t11\t100\t.\t+\t.\tgene_id "ENSG01.5"; gene_type "protein_coding"; gene_name "ALPHA";
chr1\tHAVANA\ttranscript\t11\t100\t.\t+\t.\tgene_id "ENSG01.5"; transcript_id "ENST01.2"; gene_name "ALPHA";
chr1\tHAVANA\texon\t11\t40\t.\t+\t.\tgene_id "ENSG01.5"; transcript_id "ENST01.2"; tag "basic"; tag "CCDS"; level 2;
chr1\tHAVANA\texon\t61\t100\t.\t+\t.\tgene_id "ENSG01.5"; transcript_id "ENST01.2"; transcript_type "protein_coding";
chr1\tHAVANA\tCDS\t21\t40\t.\t+\t0\tgene_id "ENSG01.5"; transcript_id "ENST01.2"; transcript_type "protein_coding";
chr1\tHAVANA\tCDS\t61\t80\t.\t+\t1\tgene_id "ENSG01.5"; transcript_id "ENST01.2"; transcript_type "protein_coding";
chr1\tHAVANA\tstop_codon\t81\t83\t.\t+\t0\tgene_id "ENSG01.5"; transcript_id "ENST01.2";
chr1\tHAVANA\tUTR\t11\t20\t.\t+\t.\tgene_id "ENSG01.5"; transcript_id "ENST01.2";
chr2\tENSEMBL\texon\t5\t50\t.\t-\t.\tgene_id "ENSG02.1"; transcript_id "ENST02.1"; transcript_biotype "lincRNA";
chr2\tENSEMBL\tCDS\t5\t5\t.\t-\t.\tgene_id "ENSG02.1"; transcript_id "ENST02.1"; gene_name "BETA";
chr2\tENSEMBL\tgene\t500\t600\t.\t-\t.\tgene_id "ENSG03.1"; gene_name "GAMMA";
"""

GFF3 = """\
##gff-version 3
##sequence-region 1 1 1000
1\tEnsembl\tchromosome\t1\t1000\t.\t.\t.\tID=chromosome:1;Alias=CM000663.2
1\tensembl_havana\tgene\t11\t100\t.\t+\t.\tID=gene:ENSG01;Name=ALPHA;biotype=protein_coding;gene_id=ENSG01;version=5
1\tensembl_havana\tmRNA\t11\t100\t.\t+\t.\tID=transcript:ENST01;Parent=gene:ENSG01;biotype=protein_coding;transcript_id=ENST01
1\tensembl_havana\texon\t11\t40\t.\t+\t.\tParent=transcript:ENST01;Name=ENSE01
1\tensembl_havana\texon\t61\t100\t.\t+\t.\tParent=transcript:ENST01;Name=ENSE02
1\tensembl_havana\tCDS\t21\t40\t.\t+\t0\tID=CDS:ENSP01;Parent=transcript:ENST01
1\tensembl_havana\tCDS\t61\t83\t.\t+\t1\tID=CDS:ENSP01;Parent=transcript:ENST01
1\tensembl_havana\tfive_prime_UTR\t11\t20\t.\t+\t.\tParent=transcript:ENST01
2\thavana\tncRNA_gene\t5\t50\t.\t-\t.\tID=gene:ENSG02;Name=BETA%3B2;gene_id=ENSG02
2\thavana\tlnc_RNA\t5\t50\t.\t-\t.\tID=transcript:ENST02;Parent=gene:ENSG02;biotype=lncRNA;transcript_id=ENST02
2\thavana\texon\t5\t50\t.\t-\t.\tParent=transcript:ENST02,transcript:ENST03
2\thavana\tlnc_RNA\t5\t60\t.\t-\t.\tID=transcript:ENST03;Parent=gene:ENSG02;biotype=lncRNA;transcript_id=ENST03
###
##FASTA
>1
ACGT
"""


def test_a_gtf_gives_genes_and_their_transcripts_parts(tmp_path):
    path = tmp_path / "genes.gtf.gz"  # gzipped: told by content
    with gzip.open(path, "wt") as out:
        out.write(GTF)
    annotation = read_annotation(path)
    assert annotation.genes == {"ENSG01.5": "ALPHA", "ENSG02.1": "BETA", "ENSG03.1": "GAMMA"}
    assert annotation.transcripts == {
        "ENST01.2": Transcript("ENST01.2", "ENSG01.5", "chr1", "+", "protein_coding", exons=[(10, 40), (60, 100)],
                               coding=[(20, 40), (60, 80), (80, 83)]),
        "ENST02.1": Transcript("ENST02.1", "ENSG02.1", "chr2", "-", "lincRNA", exons=[(4, 50)], coding=[(4, 5)])}


def test_a_gff3_joins_its_parts_to_transcripts_and_genes_through_parent(tmp_path):
    path = tmp_path / "genes.gff3"
    path.write_text(GFF3)
    annotation = read_annotation(path)
    assert annotation.genes == {"ENSG01": "ALPHA", "ENSG02": "BETA;2"}  # not the chromosome line
    assert annotation.transcripts == {
        "ENST01": Transcript("ENST01", "ENSG01", "1", "+", "protein_coding", exons=[(10, 40), (60, 100)],
                             coding=[(20, 40), (60, 83)]),
        "ENST02": Transcript("ENST02", "ENSG02", "2", "-", "lncRNA", exons=[(4, 50)]),
        "ENST03": Transcript("ENST03", "ENSG02", "2", "-", "lncRNA", exons=[(4, 50)])}  # an exon of two


def test_a_gff3_cds_whose_parent_is_a_gene_is_its_own_transcript(tmp_path):
    path = tmp_path / "bacterium.gff3"
    path.write_text("chr\tRefSeq\tgene\t1\t90\t.\t+\t.\tID=gene-abc;Name=abc\n"
                    "chr\tRefSeq\tCDS\t1\t90\t.\t+\t0\tID=cds-abc;Parent=gene-abc\n")
    annotation = read_annotation(path)
    assert annotation.genes == {"gene-abc": "abc"}
    assert annotation.transcripts["gene-abc"].coding == [(0, 90)]


EXON = 'chr1\tH\texon\t11\t40\t.\t+\t.\tgene_id "G"; transcript_id "T";'


@pytest.mark.parametrize("line, problem", [
    ("chr1\tH\texon\t11\t40\t.\t+\t.", r"8 tab-separated columns; an annotation line has 9"),
    (EXON.replace("\t11\t", "\t1e3\t"), r"start '1e3' is not a positive integer"),
    (EXON.replace("\t11\t", "\t0\t"), r"start '0' is not a positive integer"),
    (EXON.replace("\t40\t", "\t4O\t"), r"end '4O' is not a positive integer"),
    (EXON.replace("\t11\t40\t", "\t41\t40\t"), r"start 41 is after end 40"),
    (EXON.replace("\t+\t", "\t*\t"), r"strand '\*' is not \+, -, \. or \?"),
    (EXON.replace("\t+\t", "\t.\t"), r"exon line on no strand \('\.'\): its transcript cannot be read 5' to 3'"),
    (EXON.replace('gene_id "G"; ', ""), r"exon line without gene_id"),
    (EXON.replace("exon", "CDS").replace(' transcript_id "T";', ""), r"CDS line without transcript_id"),
    (EXON.replace("chr1", "chr2"), r"transcript 'T' on chr2 \+, its earlier lines on chr1 \+"),
])
def test_a_malformed_gtf_line_is_named(tmp_path, line, problem):
    path = tmp_path / "bad.gtf"
    path.write_text(f"# header\n{EXON}\n\n{line}\n")
    with pytest.raises(InputError, match=rf"^{path}:4: {problem}"):
        read_annotation(path)


def test_a_malformed_gff3_line_is_named(tmp_path):
    path = tmp_path / "bad.gff3"
    path.write_text("##gff-version 3\nchr1\t.\tmRNA\t1\t90\t.\t+\t.\tID=t1\nchr1\t.\texon\t1\t90\t.\t+\t.\tName=e1\n")
    with pytest.raises(InputError, match=rf"^{path}:3: exon line without Parent$"):
        read_annotation(path)
    path.write_text("##gff-version 3\nchr1\t.\texon\t1\t90\t.\t+\t.\tParent=t9\n")
    with pytest.raises(InputError, match=rf"^{path}:2: Parent 't9': no line has it as ID$"):
        read_annotation(path)
    path.write_text("##gff-version 3\nchr1\t.\tmRNA\t1\t90\t.\t+\t.\tID=t1;Parent=g9\n"
                    "chr1\t.\texon\t1\t90\t.\t+\t.\tParent=t1\n")
    with pytest.raises(InputError, match=rf"^{path}:2: Parent 'g9': no line has it as ID$"):
        read_annotation(path)


def test_a_file_without_genes_is_refused(tmp_path):
    path = tmp_path / "empty.gtf"
    path.write_text("# nothing\n")
    with pytest.raises(InputError, match=r"no annotation line"):
        read_annotation(path)
    path.write_text("chr1\tH\tregion\t1\t10\t.\t.\t.\tnote \"x\";\n")
    with pytest.raises(InputError, match=r"no gene in the annotation"):
        read_annotation(path)
