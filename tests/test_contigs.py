import logging

import pandas as pd
import pytest

from cisflow.io.contigs import contig_mapping, karyotype_order, rename_contigs

UCSC = ["chr1", "chr2", "chrX", "chrM"]


def test_ensembl_names_map_to_ucsc_and_back():
    assert contig_mapping(["1", "X", "MT", "chr2"], UCSC) == {"1": "chr1", "X": "chrX", "MT": "chrM", "chr2": "chr2"}
    assert contig_mapping(["chr1", "chrM"], ["1", "MT"]) == {"chr1": "1", "chrM": "MT"}


def test_unknown_names_map_to_nothing_and_aliases_win():
    assert contig_mapping(["chrUn_gl000220", "GL000220.1"], UCSC, {"GL000220.1": "chr2"}) == {
        "chrUn_gl000220": None, "GL000220.1": "chr2"}


def test_renaming_is_logged(caplog):
    table = pd.DataFrame({"chrom": ["1", "1", "22"], "pos": [5, 6, 7]})
    with caplog.at_level(logging.INFO):
        renamed = rename_contigs(table, UCSC, source="peaks.bed")
    assert renamed["chrom"].tolist() == ["chr1", "chr1", "22"]  # chr22 is not in this genome: kept, reported later
    assert "peaks.bed: contig names mapped to the genome's (1): 1 -> chr1" in caplog.text


def test_names_that_differ_only_in_case_are_shown_as_such():
    from cisflow.io.contigs import on_genome
    from cisflow.io.errors import InputError

    table = pd.DataFrame({"chrom": ["Chr1", "Chr2"], "start": [1, 5]})
    with pytest.raises(InputError, match=r"^regions.bed: none of its 2 regions is on a contig of the genome g.fa "
                                         r"\(regions on Chr1, Chr2; the genome has chr1, chr2, chrX, chrM\): the names "
                                         r"differ from the genome's in case or a chr prefix \(Chr1 / chr1\); map them "
                                         r"with contig_aliases$"):
        on_genome(table, "regions.bed", UCSC, "g.fa", what="regions")
    assert on_genome(table, "regions.bed", UCSC, "g.fa", {"Chr1": "chr1", "Chr2": "chr2"})["chrom"].tolist() == [
        "chr1", "chr2"]


HG19 = ["chr1", "chr1_gl000191_random", "chr10", "chr2", "chr6_apd_hap1", "chrM", "chrUn_gl000220", "chrX", "chrY"]


@pytest.mark.parametrize(("names", "genome", "expected"), [
    (["chr19", "chr22", "chr20", "chr21"], [], ["chr19", "chr20", "chr21", "chr22"]),  # the demo's, in rank order
    (["chrUn_gl000220", "chrY", "chr10", "chr6_apd_hap1", "chrM", "chr1_gl000191_random", "chrX", "chr2", "chr1"],
     HG19,  # hg19's randoms, haplotypes and chrUn follow M, in the genome's order
     ["chr1", "chr2", "chr10", "chrX", "chrY", "chrM", "chr1_gl000191_random", "chr6_apd_hap1", "chrUn_gl000220"]),
    (["MT", "KI270728.1", "X", "10", "GL000009.2", "2", "1", "Y"],
     ["1", "2", "10", "X", "Y", "MT", "GL000009.2", "KI270728.1"],  # GRCh38 without prefix
     ["1", "2", "10", "X", "Y", "MT", "GL000009.2", "KI270728.1"]),
    (["chrM", "chrXVI", "chrX", "chrIX", "chrII", "chrXI", "chrI", "chrIV", "chrV"], [],  # yeast: X is the tenth
     ["chrI", "chrII", "chrIV", "chrV", "chrIX", "chrX", "chrXI", "chrXVI", "chrM"]),
    (["X", "V", "I", "MtDNA"], ["I", "II", "III", "IV", "V", "X", "MtDNA"], ["I", "V", "X", "MtDNA"]),  # the worm
    (["chrX"], ["chrI", "chrII", "chrX"], ["chrX"]),  # numerals read from the genome's names too
    (["chrX", "chr2"], [], ["chr2", "chrX"]),  # arabic numbers: X is the sex chromosome
    (["scaffold_10", "scaffold_2", "scaffold_1"], ["scaffold_1", "scaffold_10", "scaffold_2"],  # scaffolds only
     ["scaffold_1", "scaffold_10", "scaffold_2"]),
    (["contig_b", "contig_a"], [], ["contig_b", "contig_a"]),  # no genome: first appearance
    (["chrX", "1", "chr2", "chrUn_x", "MT", "chr10", "chr1", "chrM", "Chr01"], ["chr1", "chr2", "chrUn_x"],  # mixed
     ["chr1", "1", "Chr01", "chr2", "chr10", "chrX", "MT", "chrM", "chrUn_x"]),
    (["chr4", "chrX", "chr3R", "chr2R", "chr2L", "chrM", "chr3L", "chrY"], [],  # the fly's arms
     ["chr2L", "chr2R", "chr3L", "chr3R", "chr4", "chrX", "chrY", "chrM"]),
    (["chrW", "chrZ", "chr2", "chr1"], [], ["chr1", "chr2", "chrZ", "chrW"]),  # birds
    (["chr2", "chr1", "chr2"], [], ["chr1", "chr2"]),  # repeats dropped
])
def test_karyotype_order(names, genome, expected):
    assert karyotype_order(names, genome) == expected
