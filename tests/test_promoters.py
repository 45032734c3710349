import dataclasses

import numpy as np
import pandas as pd
import pytest

from cisflow.config.settings import PromoterFeatures, dataset_from_mapping
from cisflow.data.build import from_promoters
from cisflow.data.dataset import load_dataset
from cisflow.data.features import join_features
from cisflow.data.gene_features import FEATURES, KEYS
from cisflow.data.promoters import promoter_windows, read_tss
from cisflow.encode import decode, encode, reverse_complement
from cisflow.io.errors import InputError
from cisflow.io.genome import prepare_genome
from cisflow.io.tables import read_values
from cisflow.models.registry import build_for_dataset
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


def three_contig_genome(genome, tmp_path):
    _, records = genome
    records = {**records, "chrC": records["chrA"][::-1]}  # a third contig, for training
    fasta = tmp_path / "three_indexed.fa"
    prepare_genome(write_fasta(tmp_path / "three.fa", records), fasta)
    return fasta, records


def promoters_spec(features=None, split=None):
    return dataset_from_mapping({"kind": "promoters", "tss": {"url": "tss.bed"}, "upstream": 30, "downstream": 20,
                                 "tss_at": "start", "max_n_fraction": 0.1,
                                 "expression": {"table": "expr", "id_column": "gene", "target_columns": ["tpm"]},
                                 **({"annotation": {"url": "genes.gtf"}, "features": features} if features else {}),
                                 "split": split or {"valid": ["chrB"], "test": ["chrA"]}})


def test_promoter_dataset_joins_expression_and_features(genome, tmp_path):
    fasta, records = three_contig_genome(genome, tmp_path)
    (tmp_path / "tss.bed").write_text("chrA\t500\t501\tG1\t0\t+\nchrB\t600\t601\tG2\t0\t-\n"
                                      "chrB\t10\t11\tG3\t0\t+\nchrA\t900\t901\tG4\t0\t+\n"
                                      "chrC\t700\t701\tG5\t0\t+\nchrC\t800\t801\tG6\t0\t+\n")
    (tmp_path / "expr.tsv").write_text("gene\ttpm\nG1\t1.5\nG2\t-2\nG3\t0\nG9\t3\nG5\t0.5\nG6\t1\n")
    (tmp_path / "half_lives.tsv").write_text("gene\thalf_life\nG1\t4\nG3\t2\nG6\t6\n")
    spec = promoters_spec(split={"valid": ["chrB"], "test": ["chrA"]})
    spec = dataclasses.replace(spec, features=PromoterFeatures.from_mapping(
        {"tables": [{"table": "half_lives", "id_column": "gene", "columns": ["half_life"]}], "missing": "impute"}))
    attrs = from_promoters(tmp_path / "tss.bed", fasta, tmp_path / "expr.tsv", spec, tmp_path / "ds",
                           feature_table_paths=[tmp_path / "half_lives.tsv"])
    data = load_dataset(tmp_path / "ds")
    assert data.ids == ["G1", "G2", "G5", "G6"]  # G3 overruns chrB's start, G4 has no expression
    assert attrs["counts"]["windows_overrunning_contig_end"] == 1 and attrs["counts"]["tss_without_expression"] == 1
    assert decode(data.codes[0]) == records["chrA"][470:520]
    assert decode(data.codes[1]) == decode(reverse_complement(encode(records["chrB"][581:631])))
    assert data.targets[:, 0].tolist() == [1.5, -2.0, 0.5, 1.0]
    # G2 and G5 have none: the mean over the training split (chrC: G5 has none, G6 has 6), not G1's test value 4
    assert data.features[:, 0].tolist() == [4.0, 6.0, 6.0, 6.0]
    assert attrs["counts"]["genes_without_features"] == 2 and attrs["features"] == ["half_life"]
    assert attrs["missing_features"] == {"rule": "impute", "genes": 2, "by_source": {"half_lives": 2},
                                         "training_means": {"half_life": 6.0}}
    (tmp_path / "other_ids.tsv").write_text("gene\thalf_life\nENSG01\t4\n")
    with pytest.raises(InputError, match=r"other_ids.tsv: no gene of the dataset has features \(check "
                                         r"features.tables.0.id_column, 'gene', and its key, 'gene_id'\)$"):
        from_promoters(tmp_path / "tss.bed", fasta, tmp_path / "expr.tsv", spec, tmp_path / "ds2",
                       feature_table_paths=[tmp_path / "other_ids.tsv"])


# The dataset's genes are Ensembl ids without version; the annotation's carry one, and the half-lives are
# keyed by symbol: each joins through the annotation's table. ENSG3 is not in the annotation, ENSG2 has no ORF,
# NONE no half-life.
GENE_FEATURES = """\
gene_id\tgene_name\ttranscript_id\tutr5_length_log10\torf_length_log10\tutr3_length_log10\tintron_length_log10\t\
orf_exon_density_log10\tutr5_gc\torf_gc\tutr3_gc
ENSG00000000001.4\tAAMP\tT1\t1\t3\t2\t4\t0.5\t0.6\t0.5\t0.4
ENSG00000000002.7\tAARS\t\t\t\t\t\t\t\t\t
ENSG00000000004.1\tFLNA\tT4\t2\t3.5\t3\t4.5\t0.7\t0.55\t0.45\t0.35
ENSG00000000005.1\tNONE\tT5\t1.5\t3.2\t2.5\t4.2\t0.6\t0.65\t0.52\t0.42
ENSG00000000006.2\tPCNA\tT6\t1.5\t3.4\t2.5\t4.2\t0.6\t0.65\t0.52\t0.3
"""


def joined_dataset(genome, tmp_path, missing, key="gene_name"):
    fasta, _ = three_contig_genome(genome, tmp_path)
    genes = [f"ENSG0000000000{i}" for i in range(1, 7)]  # test on chrA, valid on chrB, train on chrC
    places = [("chrA", 500), ("chrC", 600), ("chrC", 700), ("chrB", 600), ("chrC", 900), ("chrC", 1000)]
    (tmp_path / "tss.bed").write_text("".join(f"{chrom}\t{at}\t{at + 1}\t{gene}\t0\t+\n"
                                              for gene, (chrom, at) in zip(genes, places)))
    (tmp_path / "expr.tsv").write_text("gene\ttpm\n" + "".join(f"{gene}\t{i}\n" for i, gene in enumerate(genes)))
    (tmp_path / "genes.tsv").write_text(GENE_FEATURES)
    (tmp_path / "k562.txt").write_text("transcript\tmean_half_life\r\nAAMP\t6.7\r\nAARS\t1.9\r\nFLNA\t6.1\r\n"
                                       "PCNA\t3.4\r\n")
    spec = promoters_spec({"annotation": ["orf_length_log10", "utr3_gc"], "missing": missing,
                           "tables": [{"table": "k562", "id_column": "transcript", "key": key,
                                       "columns": ["mean_half_life"]}]},
                          split={"valid": ["chrB"], "test": ["chrA"]})
    attrs = from_promoters(tmp_path / "tss.bed", fasta, tmp_path / "expr.tsv", spec, tmp_path / missing,
                           gene_features_path=tmp_path / "genes.tsv", feature_table_paths=[tmp_path / "k562.txt"])
    return attrs, load_dataset(tmp_path / missing)


def test_features_join_by_versionless_gene_id_and_by_symbol_through_the_annotation(genome, tmp_path):
    attrs, data = joined_dataset(genome, tmp_path, "impute")
    assert data.ids == [f"ENSG0000000000{i}" for i in range(1, 7)]
    assert attrs["features"] == ["orf_length_log10", "utr3_gc", "mean_half_life"]
    nan = float("nan")
    expected = [[3, 0.4, 6.7], [nan, nan, 1.9], [nan, nan, nan], [3.5, 0.35, 6.1], [3.2, 0.42, nan], [3.4, 0.3, 3.4]]
    # the means over the training split (chrC: ENSG2, 3, 5, 6), not over the test and valid genes' values too
    means = [(3.2 + 3.4) / 2, (0.42 + 0.3) / 2, (1.9 + 3.4) / 2]
    filled = [[means[j] if np.isnan(value) else value for j, value in enumerate(row)] for row in expected]
    assert np.allclose(data.features, filled)
    assert attrs["missing_features"]["by_source"] == {"annotation": 2, "k562": 2}
    assert attrs["missing_features"]["training_means"] == pytest.approx(dict(zip(attrs["features"], means)))
    assert attrs["counts"]["genes_without_features"] == 3 and attrs["counts"]["kept"] == 6


def test_genes_without_a_feature_are_dropped_before_the_split(genome, tmp_path):
    attrs, data = joined_dataset(genome, tmp_path, "drop")
    assert data.ids == ["ENSG00000000001", "ENSG00000000004", "ENSG00000000006"]
    assert np.allclose(data.features, [[3, 0.4, 6.7], [3.5, 0.35, 6.1], [3.4, 0.3, 3.4]])
    assert attrs["missing_features"] == {"rule": "drop", "genes": 3, "by_source": {"annotation": 2, "k562": 2}}
    assert attrs["counts"]["genes_without_features"] == 3 and attrs["counts"]["kept"] == 3
    assert attrs["split_sizes"] == {"train": 1, "valid": 1, "test": 1}


def test_the_dataset_features_reach_the_model(genome, tmp_path):
    _, data = joined_dataset(genome, tmp_path, "impute")
    params = {"conv": [{"filters": 4, "width": 3, "pool": 2}], "dense": [4], "dense_dropout": 0.0}
    model = build_for_dataset("xpresso", data.attrs, params)
    assert model.n_features == 3 and model.head[0].in_features == 4 * 25 + 3


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


@pytest.mark.skipif(not XPRESSO.exists(), reason="../shared/data is not here")
def test_xpresso_k562_half_lives_join_by_symbol(tmp_path):
    """The measured K562 half-lives (CRLF lines, keyed by symbol in the column `transcript`) reach genes named
    by Ensembl id through the annotation's names."""
    path = XPRESSO / "Schofield_K562_half_lives.txt"
    half_lives = read_values(path, "transcript", ["mean_half_life"], "feature")
    assert len(half_lives) == 5_419 and half_lives["AAMP"].tolist() == pytest.approx([6.7279])
    names = {"ENSG00000127837.9": "AAMP", "ENSG00000196924.10": "FLNA", "ENSG00000000003.10": "TSPAN6"}
    (tmp_path / "genes.tsv").write_text("\t".join([*KEYS, *FEATURES]) + "\n" + "".join(
        f"{gene}\t{name}\t" + "\t" * len(FEATURES) + "\n" for gene, name in names.items()))
    features = PromoterFeatures.from_mapping({"tables": [{"table": "k562", "id_column": "transcript",
                                                          "key": "gene_name", "columns": ["mean_half_life"]}]})
    joined = join_features(["ENSG00000196924", "ENSG00000127837", "ENSG00000000003"], features,
                           tmp_path / "genes.tsv", [path])
    assert joined.values[:2, 0].tolist() == pytest.approx([6.0743, 6.7279]) and np.isnan(joined.values[2, 0])
    assert joined.names == ["mean_half_life"] and joined.missing == {"k562": 1}
