import logging

import pandas as pd
import pytest

from cisflow.io.contigs import contig_mapping, rename_contigs

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
