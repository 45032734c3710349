import numpy as np
import pandas as pd
import pytest

from cisflow.config.settings import dataset_from_mapping
from cisflow.data.build import from_promoters
from cisflow.data.dataset import load_dataset
from cisflow.data.promoters import promoter_windows, read_tss
from cisflow.encode import decode, encode, reverse_complement
from cisflow.io.errors import InputError
from cisflow.io.genome import prepare_genome
from cisflow.io.tables import read_values
from tests.conftest import write_fasta
from tests.workflow_helpers import ROOT

XPRESSO = ROOT.parent / "shared" / "data" / "xpresso_agarwal2020"


def test_windows_follow_the_strand():
    tss = pd.DataFrame({"chrom": ["c", "c"], "start": [100, 200], "end": [101, 201], "gene": ["p", "m"],
                        "strand": ["+", "-"]})
    windows = promoter_windows(tss, upstream=3, downstream=2, tss_at="start")
    assert windows[["start", "end"]].values.tolist() == [[97, 102], [199, 204]]  # TSS at index 3 and 1
    centred = promoter_windows(tss.assign(start=[90, 190], end=[111, 211]), 3, 2, tss_at="center")
    assert centred["start"].tolist() == [97, 199]


def test_bad_tss_lines_are_named(tmp_path):
    path = tmp_path / "tss.bed"
    path.write_text("chr1\t10\t11\tG1\t0\t+\nchr1\t20\t21\tG2\t0\t*\n")
    with pytest.raises(InputError, match=r"tss.bed:2: strand '\*' is not \+ or -"):
        read_tss(path)


def test_promoter_dataset_joins_expression_and_features(genome, tmp_path):
    _, records = genome
    records = {**records, "chrC": records["chrA"][::-1]}  # a third contig, for training
    fasta = tmp_path / "three_indexed.fa"
    prepare_genome(write_fasta(tmp_path / "three.fa", records), fasta)
    (tmp_path / "tss.bed").write_text("chrA\t500\t501\tG1\t0\t+\nchrB\t600\t601\tG2\t0\t-\n"
                                      "chrB\t10\t11\tG3\t0\t+\nchrA\t900\t901\tG4\t0\t+\n"
                                      "chrC\t700\t701\tG5\t0\t+\n")
    (tmp_path / "expr.tsv").write_text("gene\ttpm\nG1\t1.5\nG2\t-2\nG3\t0\nG9\t3\nG5\t0.5\n")
    (tmp_path / "half_lives.tsv").write_text("gene\thalf_life\nG1\t4\nG3\t2\n")
    spec = dataset_from_mapping({"kind": "promoters", "tss": {"url": "tss.bed"}, "upstream": 30, "downstream": 20,
                                 "tss_at": "start", "max_n_fraction": 0.1,
                                 "expression": {"table": "expr", "id_column": "gene", "target_columns": ["tpm"]},
                                 "features": {"table": "half_lives", "id_column": "gene", "columns": ["half_life"]},
                                 "split": {"valid": ["chrB"], "test": ["chrA"]}})
    attrs = from_promoters(tmp_path / "tss.bed", fasta, tmp_path / "expr.tsv", spec, tmp_path / "ds",
                           features_path=tmp_path / "half_lives.tsv")
    data = load_dataset(tmp_path / "ds")
    assert data.ids == ["G1", "G2", "G5"]  # G3 overruns chrB's start, G4 has no expression
    assert attrs["counts"]["windows_overrunning_contig_end"] == 1 and attrs["counts"]["tss_without_expression"] == 1
    assert decode(data.codes[0]) == records["chrA"][470:520]
    assert decode(data.codes[1]) == decode(reverse_complement(encode(records["chrB"][581:631])))
    assert data.targets[:, 0].tolist() == [1.5, -2.0, 0.5]
    assert data.features[:, 0].tolist() == [4.0, 4.0, 4.0]  # G2, G5 have none: the mean of the kept genes' ones
    assert attrs["counts"]["genes_without_features"] == 2 and attrs["features"] == ["half_life"]
    (tmp_path / "other_ids.tsv").write_text("gene\thalf_life\nENSG01\t4\n")
    with pytest.raises(InputError, match=r"other_ids.tsv: no gene of the dataset has features \(check "
                                         r"features.id_column, 'gene'\)$"):
        from_promoters(tmp_path / "tss.bed", fasta, tmp_path / "expr.tsv", spec, tmp_path / "ds2",
                       features_path=tmp_path / "other_ids.tsv")


def test_expression_of_a_pasted_table_is_read_side_by_side(tmp_path):
    (tmp_path / "genes.txt").write_text("G1\nG2\n")
    (tmp_path / "values.txt").write_text("1.5\t3\n2.5\t4\n")
    expression = read_values([tmp_path / "genes.txt", tmp_path / "values.txt"], "0", ["2"], "expression")
    assert {gene: values.tolist() for gene, values in expression.items()} == {"G1": [3.0], "G2": [4.0]}


@pytest.mark.skipif(not XPRESSO.exists(), reason="../shared/data is not here")
def test_xpresso_promoters_and_expression_join():
    tss = read_tss(XPRESSO / "hg19_promoters_cage_corrected_withChr.bed")
    assert len(tss) == 18_362 and set(tss["strand"]) == {"+", "-"}
    windows = promoter_windows(tss, 7_000, 3_500, tss_at="center")
    assert (windows["end"] - windows["start"] == 10_500).all()
    expression = read_values(XPRESSO / "1to1_orthologs_expression.txt", "0", ["4"], "expression")
    assert len(expression) == 15_348
    assert np.isin(tss["gene"], list(expression)).sum() > 14_000
