"""The motif each variant breaks or makes: exact thresholds, planted sites on both strands, N, indels,
the learned motifs, and the columns through the variants stage and the command line."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from cisflow.cli import main
from cisflow.config.schema import key_schema
from cisflow.demo.motifs import RELEASE
from cisflow.interpret.filters import FilterPFM, read_meme, write_meme
from cisflow.interpret.jaspar import load_jaspar
from cisflow.io.errors import InputError
from cisflow.io.genome import prepare_genome
from cisflow.variants.motif_changes import (
    add_motif_changes,
    learned_motif_files,
    learned_motifs,
    log_odds,
    motif_changes,
    score_tail,
)
from tests.conftest import write_fasta
from tests.test_score_variant_set import VCF_HEADER, model_file

PLANTED = {"CTCF": "MA0139.2", "GATA1::TAL1": "MA0140.3", "SP1": "MA0079.5", "FOS::JUN": "MA0099.4"}
COMPLEMENT = str.maketrans("ACGT", "TGCA")
P_VALUE = key_schema("variants.*.motif_p_value")["default"]  # a variant set's, where the config sets none


@pytest.fixture(scope="module")
def motifs():
    """The demo's four planted JASPAR motifs."""
    by_id = {motif.matrix_id: motif for motif in load_jaspar(RELEASE, "vertebrates")}
    return [by_id[matrix_id] for matrix_id in PLANTED.values()]


@pytest.fixture(scope="module")
def ctcf(motifs):
    return motifs[0]


def consensus(motif):
    return "".join("ACGT"[i] for i in motif.probabilities.argmax(axis=1))


def bits(motif, column, base):
    """The log-odds of ``base`` at ``column`` by hand: log2 of its probability (with 1% of a base's mass
    spread evenly) over 0.25."""
    p = (motif.probabilities[column, "ACGT".index(base)] + 0.0025) / 1.01
    return np.log2(p / 0.25)


def genome_with(tmp_path, sequence, name="chr1"):
    write_fasta(tmp_path / "source.fa", {name: sequence})
    prepare_genome(tmp_path / "source.fa", tmp_path / "genome.fa")
    return tmp_path / "genome.fa"


def random_bases(n, seed=0):
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


def snv(chrom, pos, ref, alt):
    return {"chrom": chrom, "pos": pos, "score_ref": ref, "score_alt": alt}


def confident_column(motif):
    """The column of the motif's most probable base, its base and the motif's least probable base there."""
    column = int(motif.probabilities.max(axis=1).argmax())
    return column, "ACGT"[motif.probabilities[column].argmax()], "ACGT"[motif.probabilities[column].argmin()]


def test_the_threshold_and_p_values_are_those_of_every_window_enumerated():
    rng = np.random.default_rng(3)
    matrix = log_odds(rng.dirichlet(np.ones(4) * 0.5, size=6))
    scores = np.array([matrix[np.arange(6), list(window)].sum() for window in itertools.product(range(4), repeat=6)])
    for p_value in (0.01, 0.002, 1 / 4096 + 1e-12):
        threshold, tail = score_tail(matrix, p_value)
        assert np.mean(scores >= threshold) < p_value <= np.mean(scores >= threshold - 1)
        for k, p in enumerate(tail):
            assert p == np.mean(scores >= threshold + k)  # exact: multiples of 4**-6
        assert threshold + len(tail) - 1 == scores.max()
    threshold, tail = score_tail(matrix, 1e-4)  # below 4**-6: no window of six bases is that rare
    assert threshold == scores.max() + 1 and len(tail) == 0


def test_a_snv_at_a_confident_column_of_a_planted_site_breaks_it(tmp_path, motifs, ctcf):
    column, top, least = confident_column(ctcf)
    sequence = random_bases(400)
    sequence = sequence[:200] + consensus(ctcf) + sequence[200 + ctcf.length:]
    genome = genome_with(tmp_path, sequence)
    out = motif_changes(genome, pd.DataFrame([snv("chr1", 201 + column, top, least)]), motifs, P_VALUE).iloc[0]
    assert (out["motif"], out["motif_id"]) == ("CTCF", "MA0139.2")
    assert out["motif_delta"] == pytest.approx(bits(ctcf, column, least) - bits(ctcf, column, top), abs=0.01)
    assert out["motif_delta"] < -5
    site = sum(bits(ctcf, j, base) for j, base in enumerate(consensus(ctcf)))
    assert out["motif_score"] == pytest.approx(site, abs=0.01 * ctcf.length)  # REF's: the stronger
    assert 0 < out["motif_p"] < 1e-8


def test_a_snv_that_completes_a_site_makes_it_on_either_strand(tmp_path, motifs, ctcf):
    """The site is planted broken (its confident column holds the least likely base), once as it
    reads and once reverse complemented: the SNV restoring the base makes it, by the same bits."""
    column, top, least = confident_column(ctcf)
    broken = consensus(ctcf)[:column] + least + consensus(ctcf)[column + 1:]
    reverse = broken.translate(COMPLEMENT)[::-1]
    sequence = random_bases(600, seed=1)
    sequence = sequence[:100] + broken + sequence[100 + ctcf.length:400] + reverse + sequence[400 + ctcf.length:]
    genome = genome_with(tmp_path, sequence)
    rc_pos = 400 + ctcf.length - column  # the same base of the reverse-complemented site, 1-based
    rows = pd.DataFrame([snv("chr1", 101 + column, least, top),
                         snv("chr1", rc_pos, least.translate(COMPLEMENT), top.translate(COMPLEMENT))])
    out = motif_changes(genome, rows, motifs, P_VALUE)
    expected = bits(ctcf, column, top) - bits(ctcf, column, least)
    assert out["motif"].tolist() == ["CTCF", "CTCF"]
    np.testing.assert_allclose(out["motif_delta"], expected, atol=0.01)
    assert out["motif_score"].iloc[0] == out["motif_score"].iloc[1]  # ALT's, the same site on either strand


def test_a_snv_far_from_any_site_names_none(tmp_path, motifs):
    """No motif at p < 1e-4: in random bases each of the four motifs' windows holding the SNP (2 x 9
    to 2 x 19 of them, both strands, each allele) match by chance at about 1e-4 each, under 1 % for
    the SNP. Its row is empty, NaN for the numbers."""
    sequence = random_bases(400, seed=2)
    genome = genome_with(tmp_path, sequence)
    rows = pd.DataFrame([snv("chr1", 200, sequence[199], "A" if sequence[199] != "A" else "C")])
    out = motif_changes(genome, rows, motifs, p_value=1e-4).iloc[0]
    assert out["motif"] == "" and out["motif_id"] == "" and np.isnan(out["motif_delta"]) and np.isnan(out["motif_p"])


def test_n_adds_nothing_and_a_window_past_the_contig_start_reads_n(tmp_path, ctcf):
    """The site starts the contig, so windows holding the SNP reach before it; an N inside the site
    takes that column's log-odds away from its score."""
    column, top, least = confident_column(ctcf)
    site = consensus(ctcf)
    hole = 0 if column else 1
    genome = genome_with(tmp_path, site[:hole] + "N" + site[hole + 1:] + random_bases(200, seed=4))
    out = motif_changes(genome, pd.DataFrame([snv("chr1", 1 + column, top, least)]), [ctcf], P_VALUE).iloc[0]
    expected = sum(bits(ctcf, j, base) for j, base in enumerate(site) if j != hole)
    assert out["motif"] == "CTCF"
    assert out["motif_score"] == pytest.approx(expected, abs=0.01 * ctcf.length)


def test_indels_and_unscored_rows_are_left_empty(tmp_path, ctcf):
    genome = genome_with(tmp_path, random_bases(300, seed=5))
    rows = pd.DataFrame([snv("chr1", 100, "AC", "A"), snv("chr1", 120, None, None), snv("chr1", 140, "A", "<DEL>")],
                        index=[7, 8, 9])
    out = motif_changes(genome, rows, [ctcf], P_VALUE)
    assert out.index.tolist() == [7, 8, 9] and (out["motif"] == "").all() and out["motif_delta"].isna().all()


def learned_folder(folder, ctcf, members=("seed1", "seed2")):
    """An interpret folder: each member's filter 0 (CTCF's consensus counts, matched credibly) and
    filter 1 (matched, but not credibly: q 0.5); a TF-MoDISco pattern matched to SP1."""
    counts = np.eye(4)[ctcf.probabilities.argmax(axis=1)] * 50
    pfms = [FilterPFM(f, counts if f == 0 else counts[::-1], 50, 40, 1.0) for f in (0, 1)]
    write_meme(folder / "filters.meme", pfms * len(members),
               names=[f"{member}.filter{f}" for member in members for f in (0, 1)])
    match = {"status": "tested", "rank": 1, "p_value": 1e-6, "shuffle_p_value": 0.01}
    rows = [{"member": member, "filter": f, "jaspar_id": "MA0139.2", "name": "CTCF", **match,
             "q_value": 0.001 if f == 0 else 0.5} for member in members for f in (0, 1)]
    pd.DataFrame(rows).to_csv(folder / "matches.tsv", sep="\t", index=False)
    write_meme(folder / "modisco.meme", [FilterPFM(0, np.eye(4)[[2, 2, 2, 1, 2, 2]] * 30, 30, 30, 1.0)],
               names=["pos_pattern_0"])
    pd.DataFrame([{"pattern": 0, "pattern_name": "pos_pattern_0", "sign": 1, "jaspar_id": "MA0079.5", "name": "SP1",
                   **match, "q_value": 0.01}]).to_csv(folder / "modisco_matches.tsv", sep="\t", index=False)
    return folder


def test_learned_motifs_are_the_credibly_matched_filters_and_patterns_by_their_jaspar_names(tmp_path, ctcf):
    files = learned_motif_files(learned_folder(tmp_path, ctcf))
    assert [path.name for pair in files for path in pair] == ["filters.meme", "matches.tsv", "modisco.meme",
                                                              "modisco_matches.tsv"]
    found = learned_motifs(files)
    assert [(m.matrix_id, m.name) for m in found] == [("seed1.filter0", "CTCF"), ("seed2.filter0", "CTCF"),
                                                      ("pos_pattern_0", "SP1")]
    from memelite.io import read_meme as memelite_read_meme  # an independent reader of the same file

    memelite = memelite_read_meme(str(tmp_path / "filters.meme"))
    np.testing.assert_allclose(found[0].probabilities, memelite["seed1.filter0"].T)
    assert list(read_meme(tmp_path / "modisco.meme")) == ["pos_pattern_0"]
    assert found[0].probabilities.shape == (ctcf.length, 4)
    with pytest.raises(InputError, match="elsewhere: no filters.meme and matches.tsv"):
        learned_motif_files(tmp_path / "elsewhere")


def test_the_ranked_table_gains_the_motif_columns_and_the_learned_one(tmp_path, ctcf):
    column, top, least = confident_column(ctcf)
    sequence = random_bases(600, seed=6)
    sequence = sequence[:300] + consensus(ctcf) + sequence[300 + ctcf.length:]
    genome = genome_with(tmp_path, sequence)
    far = sequence[99]
    table = pd.DataFrame([{"score": 2.0, **snv("chr1", 301 + column, top, least)},
                          {"score": 1.0, **snv("chr1", 100, far, "A" if far != "A" else "C")},
                          {"score": np.nan, **snv("chr1", 500, None, None)}])
    out, summary = add_motif_changes(table, genome, {"release": "JASPAR2024", "tax_group": "vertebrates"}, P_VALUE,
                                     learned_motif_files(learned_folder(tmp_path, ctcf)))
    assert out.columns.tolist()[-6:] == ["motif", "motif_id", "motif_delta", "motif_score", "motif_p",
                                         "learned_motif"]
    assert out["motif"].iloc[0].startswith("CTCF") and out["motif_delta"].iloc[0] < -5  # CTCF, or CTCFL
    assert out["learned_motif"].tolist() == ["CTCF", "", ""]
    assert out["motif"].iloc[2] == "" and np.isnan(out["motif_delta"].iloc[2])
    assert summary["jaspar"] == "JASPAR2024 CORE vertebrates" and summary["p_value"] == P_VALUE
    assert summary["breaks"] >= 1 and summary["learned"] >= 1 and summary["named"] <= 2


def test_score_variants_writes_the_motif_columns_with_the_learned_motifs(tmp_path, ctcf, capsys):
    column, top, least = confident_column(ctcf)
    sequence = random_bases(3000, seed=7)
    sequence = sequence[:1500] + consensus(ctcf) + sequence[1500 + ctcf.length:]
    genome = genome_with(tmp_path, sequence)
    vcf = tmp_path / "variants.vcf"
    vcf.write_text(VCF_HEADER + f"chr1\t{1501 + column}\tbreaks\t{top}\t{least}\t.\t.\t.\n"
                   f"chr1\t700\tindel\t{sequence[699]}\t{sequence[699]}A\t.\t.\t.\n")
    (tmp_path / "interpret").mkdir()
    folder = learned_folder(tmp_path / "interpret", ctcf)
    status = main(["score-variants", "--model", str(model_file(tmp_path / "model.pt")), "--vcf", str(vcf),
                   "--genome", str(genome), "--out", str(tmp_path / "out.tsv.gz"), "--background", "0",
                   "--ism-top", "0", "--learned-motifs", str(folder), "--motif-p-value", "1e-5"])
    assert status == 0, capsys.readouterr().err
    ranked = pd.read_csv(tmp_path / "out.tsv.gz", sep="\t", keep_default_na=False).set_index("id")
    assert ranked.loc["breaks", "learned_motif"] == "CTCF" and ranked.loc["breaks", "motif"] != ""
    assert ranked.loc["indel", "motif"] == "" and ranked.loc["indel", "motif_delta"] == ""
    assert pd.read_parquet(tmp_path / "out.scores.parquet", columns=["motif_delta"])["motif_delta"].notna().sum() == 1
    summary = json.loads((tmp_path / "out.summary.json").read_text())["motifs"]
    assert summary["p_value"] == 1e-5 and summary["learned"] == 1
