"""Variant checking and scoring: statuses, the window convention, SAD and strand averaging, ranking."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from cisflow.config.schema import key_schema
from cisflow.encode import decode
from cisflow.io.genome import open_genome, prepare_genome
from cisflow.io.vcf import read_vcf
from cisflow.models.predict import predict, predict_strands
from cisflow.models.registry import build
from cisflow.variants.checks import check_variants, status_counts
from cisflow.variants.plots import plot_effects_along_genome, plot_top_variants, plot_variant_ism
from cisflow.variants.scoring import rank_variants, score_variants, truth_auroc
from cisflow.variants.windows import variant_windows, window_start

UPPER = ("TAAAATTGAACCGCCAGGAACCTGCCGGAGTTTCCGGGTCTAATTCACATGGACATCACGGCCAGGGTTAGGACCGCGGACTTGAGATTC"
         "TTCTCAGTGCTCCAAGTCGTACGGCCAGTA")
CHR1 = UPPER[:60] + UPPER[60:80].lower() + UPPER[80:]  # bases 61..80 soft-masked
CHR2 = "TAAGATCGTTCACTGATTTGTGGTGTCTTA"
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}
SEQ_LEN = 20
VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
PRECISION = key_schema("variants.*.precision")["default"]  # a variant set's, where the config sets none


def base(pos):
    """Upper-case chr1 base at 1-based ``pos``."""
    return CHR1[pos - 1].upper()


def others(pos):
    """The three bases that are not chr1's base at ``pos``, in ACGT order."""
    return [b for b in "ACGT" if b != base(pos)]


# (id, chrom, pos, ref, alt) and the statuses its ALT alleles must get
RECORDS = [
    (("snv", "chr1", 50, base(50), others(50)[0]), ["scored"]),
    (("flip", "chr1", 55, others(55)[0], base(55)), ["swapped"]),
    (("wrong", "chr1", 57, others(57)[0], others(57)[1]), ["ref_mismatch"]),
    (("del", "chr1", 40, base(40) + base(41), base(40)), ["indel"]),
    (("sym", "chr1", 45, base(45), "<DEL>"), ["indel"]),
    (("nochr", "chrZ", 30, "A", "G"), ["contig_missing"]),
    (("left", "chr1", 5, base(5), others(5)[0]), ["near_contig_end"]),
    (("right", "chr1", 115, base(115), others(115)[0]), ["near_contig_end"]),
    (("beyond", "chr2", 500, "A", "G"), ["near_contig_end"]),
    (("masked", "chr1", 70, base(70), f"{others(70)[0]},{others(70)[1]},*"), ["scored", "scored", "indel"]),
    (("masked_flip", "chr1", 75, others(75)[0].lower(), base(75).lower()), ["swapped"]),
]


@pytest.fixture
def genome(tmp_path):
    source = tmp_path / "src.fa"
    source.write_text(f">chr1 test\n{CHR1[:50]}\n{CHR1[50:]}\n>chr2\n{CHR2}\n")
    prepare_genome(source, tmp_path / "genome.fa")
    return open_genome(tmp_path / "genome.fa")


@pytest.fixture
def vcf(tmp_path):
    lines = [f"{chrom}\t{pos}\t{variant_id}\t{ref}\t{alt}\t.\tPASS\t."
             for (variant_id, chrom, pos, ref, alt), _ in RECORDS]
    path = tmp_path / "variants.vcf"
    path.write_text(VCF_HEADER + "\n".join(lines) + "\n")
    return read_vcf(path)


@pytest.fixture
def checked(vcf, genome):
    return check_variants(vcf, genome, SEQ_LEN, "skip")


class CentreModel(nn.Module):
    """Regression outputs computable by hand: [centre base is A, number of Gs in the window]."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))  # predict() reads the device from a parameter

    def forward(self, x):
        return torch.stack([x[:, 0, x.shape[-1] // 2], x[:, 2].sum(-1)], dim=1)


CENTRE_META = {"dataset": {"task": "regression", "seq_len": SEQ_LEN, "targets": ["centreA", "nG"]}}


def expected_centre_model(window):
    """CentreModel's outputs for a window string, averaged over both strands, by hand."""
    centre = len(window) // 2
    reverse = "".join(COMPLEMENT[b] for b in reversed(window))
    forward_out = np.array([window[centre] == "A", window.count("G")], dtype=float)
    reverse_out = np.array([reverse[centre] == "A", reverse.count("G")], dtype=float)
    return (forward_out + reverse_out) / 2


def window_text(pos, seq_len=SEQ_LEN):
    start = window_start(pos, seq_len)
    return CHR1[start : start + seq_len].upper()


# --- checking ---------------------------------------------------------------------------------------

def test_every_record_yields_its_alleles_with_expected_status(vcf, checked):
    assert checked["line"].drop_duplicates().tolist() == vcf["line"].tolist()
    assert checked["status"].tolist() == [status for _, statuses in RECORDS for status in statuses]


def test_output_columns(checked):
    assert list(checked.columns) == ["id", "chrom", "pos", "ref", "alt", "line", "multiallelic", "ref_match",
                                     "status", "score_ref", "score_alt", "duplicate_of"]
    assert checked["ref_match"].dtype == bool


def test_multiallelic_split_one_row_per_alt(checked):
    rows = checked[checked["id"] == "masked"]
    assert rows["alt"].tolist() == [others(70)[0], others(70)[1], "*"]
    assert rows["multiallelic"].all()
    assert not checked.loc[checked["id"] != "masked", "multiallelic"].any()
    assert rows["score_alt"].tolist()[:2] == others(70)[:2]


def test_swapped_scores_genome_base_as_ref(checked):
    flip = checked.set_index("id").loc["flip"]
    assert not flip["ref_match"]
    assert (flip["score_ref"], flip["score_alt"]) == (base(55), others(55)[0])


def test_soft_masked_genome_compared_case_insensitively(checked):
    rows = checked.set_index("id")
    assert rows.loc["masked_flip", "status"] == "swapped"
    assert (rows.loc["masked_flip", "score_ref"], rows.loc["masked_flip", "score_alt"]) == (base(75), others(75)[0])
    assert rows.loc["masked", "ref_match"].all()


def test_unscored_rows_have_no_alleles_to_score(checked):
    unscored = checked[~checked["status"].isin(["scored", "swapped"])]
    assert unscored["score_ref"].isna().all() and unscored["score_alt"].isna().all()


def test_indel_ref_match_is_still_reported(checked):
    assert checked.set_index("id").loc["del", "ref_match"]


def test_status_counts(checked):
    assert status_counts(checked) == {"scored": 3, "swapped": 2, "ref_mismatch": 1, "ref_equals_alt": 0,
                                      "duplicate": 0, "indel": 3, "ambiguous_allele": 0, "invalid_allele": 0,
                                      "genome_n": 0, "unmapped": 0, "unlifted": 0, "contig_missing": 1,
                                      "near_contig_end": 3}


def test_ref_equal_to_alt_is_flagged_not_scored(genome, tmp_path):
    path = tmp_path / "same.vcf"
    path.write_text(VCF_HEADER + f"chr1\t50\tsame\t{base(50)}\t{base(50)}\t.\tPASS\t.\n"
                    f"chr1\t55\tsame_wrong\t{others(55)[0]}\t{others(55)[0]}\t.\tPASS\t.\n")
    checked = check_variants(read_vcf(path), genome, SEQ_LEN, "skip")
    assert checked["status"].tolist() == ["ref_equals_alt", "ref_equals_alt"]
    assert checked["ref_match"].tolist() == [True, False] and checked["score_ref"].isna().all()


def test_duplicates_are_scored_once_and_point_at_the_first(genome, tmp_path):
    """A repeated record, and a record that states the same SNV with REF and ALT swapped, score
    the same alleles as the first: flagged duplicate, with that record's line."""
    snv = f"{base(50)}\t{others(50)[0]}"
    lines = [f"chr1\t50\tfirst\t{snv}", f"chr1\t60\tother\t{base(60)}\t{others(60)[0]}",
             f"chr1\t50\tagain\t{snv}", f"chr1\t50\tflipped\t{others(50)[0]}\t{base(50)}",
             f"chr1\t50\tanother_alt\t{base(50)}\t{others(50)[1]}"]
    path = tmp_path / "dup.vcf"
    path.write_text(VCF_HEADER + "".join(f"{line}\t.\tPASS\t.\n" for line in lines))
    checked = check_variants(read_vcf(path), genome, SEQ_LEN, "skip")
    assert checked["status"].tolist() == ["scored", "scored", "duplicate", "duplicate", "scored"]
    assert checked["duplicate_of"].tolist()[2:4] == [3, 3] and checked["duplicate_of"].isna().sum() == 3
    scored = score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION)
    assert scored["score"].notna().sum() == 3


# --- the window convention --------------------------------------------------------------------------

@pytest.fixture
def tiny_genome(tmp_path):
    (tmp_path / "tiny_src.fa").write_text(">w\nGATTACAGATTACA\n")  # 0-based: G0 A1 T2 T3 A4 C5 A6 G7 ...
    prepare_genome(tmp_path / "tiny_src.fa", tmp_path / "tiny.fa")
    return open_genome(tmp_path / "tiny.fa")


def test_window_convention_by_hand(tiny_genome):
    # VCF pos 6 is 0-based base 5, a C; seq_len 4 -> window [3, 7) = TACA with the C at index 2
    assert window_start(6, 4) == 3
    assert decode(variant_windows(tiny_genome, "w", [6], 4)[0]) == "TACA"
    assert decode(variant_windows(tiny_genome, "w", [6], 5)[0]) == "TACAG"  # odd: [3, 8), C at index 2


def test_off_by_one_window_puts_another_base_at_centre(tiny_genome):
    right = decode(variant_windows(tiny_genome, "w", [6], 4)[0])
    wrong = tiny_genome["w"][6 - 4 // 2 : 6 - 4 // 2 + 4].upper()  # pos taken as 0-based
    assert (right[2], wrong[2]) == ("C", "A")


def test_window_bounds_decide_near_contig_end(tiny_genome):
    vcf = pd.DataFrame({"chrom": "w", "pos": [2, 3, 13, 14, 6], "id": list("abcde"),
                        "ref": ["A", "T", "C", "A", "A"], "alt": "G", "line": range(1, 6)})
    statuses = check_variants(vcf, tiny_genome, 4, "skip")["status"].tolist()
    # pos 3 -> [0, 4) and pos 13 -> [10, 14) fit; pos 2 and 14 overrun; REF A at pos 6 is the off-by-one base
    assert statuses == ["near_contig_end", "scored", "scored", "near_contig_end", "ref_mismatch"]


# --- scoring ----------------------------------------------------------------------------------------

def test_sad_and_strand_averaging_by_hand(genome, checked):
    scored = score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION)
    for row in scored[scored["status"].isin(["scored", "swapped"])].itertuples():
        ref_window = window_text(row.pos)
        centre = SEQ_LEN // 2
        assert ref_window[centre] == row.score_ref
        alt_window = ref_window[:centre] + row.score_alt + ref_window[centre + 1:]
        ref, alt = expected_centre_model(ref_window), expected_centre_model(alt_window)
        np.testing.assert_allclose([row.ref_centreA, row.ref_nG], ref)
        np.testing.assert_allclose([row.alt_centreA, row.alt_nG], alt)
        np.testing.assert_allclose([row.sad_centreA, row.sad_nG], alt - ref)


def test_reverse_strand_half_counts(genome):
    # a centre A whose left neighbour is not T: forward says 1, reverse strand reads another base -> 0.5
    pos = next(p for p in range(30, 90) if base(p) == "A" and base(p - 1) != "T")
    vcf = pd.DataFrame({"chrom": ["chr1"], "pos": [pos], "id": ["a"], "ref": ["A"], "alt": ["C"], "line": [3]})
    scored = score_variants(CentreModel(), CENTRE_META, genome, check_variants(vcf, genome, SEQ_LEN, "skip"), PRECISION)
    assert scored.loc[0, "ref_centreA"] == 0.5
    assert scored.loc[0, "alt_centreA"] == 0.0


def test_effect_summary_columns(genome, checked):
    scored = score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION)
    sad = scored[["sad_centreA", "sad_nG"]].to_numpy()
    done = scored["status"].isin(["scored", "swapped"]).to_numpy()
    np.testing.assert_allclose(scored.loc[done, "max_abs_sad"], np.abs(sad[done]).max(axis=1))
    assert scored.loc[done, "top_target"].tolist() == [["centreA", "nG"][i] for i in np.abs(sad[done]).argmax(1)]
    assert scored.loc[~done, ["ref_nG", "alt_nG", "sad_nG", "max_abs_sad"]].isna().all().all()
    assert scored.loc[~done, "top_target"].isna().all()
    assert scored[list(checked.columns)].equals(checked)
    per_output = [c for c in scored.columns if c.startswith(("ref_", "alt_", "sad_", "log2fc_")) and c != "ref_match"]
    assert len(per_output) == 8 and (scored[per_output].dtypes == np.float32).all()  # as the model computes them
    assert scored["max_abs_sad"].dtype == np.float64


def test_scores_the_same_in_chunks(genome, checked, monkeypatch):
    from cisflow.variants import scoring

    whole = score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION)
    monkeypatch.setattr(scoring, "CHUNK", 2)
    pd.testing.assert_frame_equal(score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION), whole)


def test_classification_model_from_registry(genome, vcf):
    torch.manual_seed(0)
    model = build("basset", seq_len=50, n_targets=2, conv=[dict(filters=4, width=5, pool=2)], dense=[8])
    meta = {"dataset": {"task": "classification", "seq_len": 50, "targets": ["t0", "t1"]}}
    checked = check_variants(vcf, genome, 50, "skip")
    scored = score_variants(model, meta, genome, checked, batch_size=3, precision="fp32")
    done = scored["status"].isin(["scored", "swapped"])
    assert done.sum() == 5
    probs = scored.loc[done, ["ref_t0", "ref_t1", "alt_t0", "alt_t1"]].to_numpy()
    assert ((probs > 0) & (probs < 1)).all()
    np.testing.assert_allclose(scored.loc[done, "sad_t1"], scored.loc[done, "alt_t1"] - scored.loc[done, "ref_t1"])
    windows = variant_windows(genome, "chr1", scored.loc[done, "pos"], 50)
    np.testing.assert_allclose(scored.loc[done, ["ref_t0", "ref_t1"]], predict(model, windows, "classification",
                                                                                 both_strands=True), rtol=1e-5)
    single = score_variants(model, meta, genome, checked, batch_size=1, precision="fp32")
    np.testing.assert_allclose(single["max_abs_sad"], scored["max_abs_sad"], rtol=1e-5)


def test_an_ensembles_effects_are_the_mean_of_its_members_each_scored_alone(genome, vcf):
    """Each member scores both alleles itself; only then are they combined: the ensemble's change in
    log-odds is the mean of the members' (never one member's REF against another's ALT), beside
    their sd and the fraction agreeing on its sign; its predictions are the sigmoid of the mean
    logits. SNVs (the incremental path) and an indel (whole windows) alike."""
    from cisflow.models.ensemble import Ensemble

    models = []
    for seed in (1, 2, 3):
        torch.manual_seed(seed)
        model = build("basset", seq_len=50, n_targets=2, conv=[dict(filters=4, width=5, pool=2)], dense=[8])
        with torch.no_grad():
            model.output_layer.weight.mul_(10.0 * seed)  # members far apart: a mix-up would show
        models.append(model.eval())
    meta = {"dataset": {"task": "classification", "seq_len": 50, "targets": ["t0", "t1"]}}
    checked = check_variants(vcf, genome, 50, indels="score")
    alone = [score_variants(model, meta, genome, checked, batch_size=3, precision="fp32") for model in models]
    together = score_variants(Ensemble(models, ["a", "b", "c"]), meta, genome, checked, batch_size=3, precision="fp32")
    done = together["score"].notna()
    assert done.sum() == 6 and (together.loc[done, "status"] == "indel").sum() == 1
    for target in ("t0", "t1"):
        each = np.stack([table.loc[done, f"logodds_{target}"].to_numpy() for table in alone])
        np.testing.assert_allclose(together.loc[done, f"logodds_{target}"], each.mean(axis=0), atol=1e-4)
        np.testing.assert_allclose(together.loc[done, f"sd_{target}"], each.std(axis=0, ddof=1), rtol=1e-3, atol=1e-4)
        agree = (np.sign(each) == np.sign(each.mean(axis=0))).mean(axis=0)
        np.testing.assert_allclose(together.loc[done, f"agree_{target}"], agree)
        mixed = np.stack([table.loc[done, f"alt_{target}"].to_numpy() for table in alone[1:]]).mean(axis=0) - \
            alone[0].loc[done, f"ref_{target}"].to_numpy()
        assert np.abs(together.loc[done, f"sad_{target}"].to_numpy() - mixed).max() > 1e-3
    snvs = done & (together["status"] != "indel")
    windows = variant_windows(genome, "chr1", together.loc[snvs, "pos"], 50)
    logits = np.stack([predict_strands(model, windows, both_strands=True) for model in models]).mean(axis=0)
    np.testing.assert_allclose(together.loc[snvs, ["ref_t0", "ref_t1"]], (1 / (1 + np.exp(-logits))).mean(axis=1),
                               rtol=1e-5)
    assert "sd_t0" not in alone[0] and "agree_t0" not in alone[0]  # one model has no spread


def test_each_window_read_once(genome, checked):
    class Counting:
        def __init__(self, record):
            self.record, self.reads = record, 0

        def __len__(self):
            return len(self.record)

        def __getitem__(self, key):
            self.reads += 1
            return self.record[key]

    chr1 = Counting(genome["chr1"])
    scored = score_variants(CentreModel(), CENTRE_META, {"chr1": chr1}, checked[checked["chrom"] == "chr1"], PRECISION)
    done = scored[scored["status"].isin(["scored", "swapped"])]
    assert len(done) == 5 and chr1.reads == done["pos"].nunique() == 4  # the two alts at 70 share a window


def test_model_window_larger_than_checked_is_refused(genome, vcf):
    checked = check_variants(vcf, genome, SEQ_LEN, "skip")
    meta = {"dataset": {**CENTRE_META["dataset"], "seq_len": 110}}
    with pytest.raises(ValueError, match="overruns contig 'chr1'"):
        score_variants(CentreModel(), meta, genome, checked, PRECISION)


# --- ranking, truth, plot ---------------------------------------------------------------------------

def effects_table(ids, values):
    return pd.DataFrame({"id": ids, "ref": "A", "alt": "G", "score": values, "sad_t": values})


def test_rank_variants_keeps_unscored_at_end():
    ranked = rank_variants(effects_table(list("abcd"), [0.1, np.nan, 0.5, 0.3]))
    assert ranked["id"].tolist() == ["c", "d", "a", "b"]
    assert ranked["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(ranked["rank"].iloc[3])
    assert list(ranked.columns)[0] == "rank"


def test_truth_auroc_by_hand():
    scored = effects_table(["a", "b", "c", "d", "e", "f", "b"], [0.9, 0.2, 0.5, 0.1, 0.7, np.nan, 0.4])
    truth = pd.DataFrame({"id": list("abcdefg"),
                          "positive": pd.array([True, True, False, False, pd.NA, False, True], dtype="boolean")})
    # positives a=0.9, b=max(0.2, 0.4)=0.4; negatives c=0.5, d=0.1 (f unscored, g absent, e not in either class)
    # pairs ranked right: a>c, a>d, b>d; wrong: b<c -> 3/4
    assert truth_auroc(scored, truth) == 0.75


def test_truth_auroc_nan_without_both_classes():
    scored = effects_table(["a", "b"], [0.9, 0.2])
    truth = pd.DataFrame({"id": ["a", "b"], "positive": pd.array([True, True], dtype="boolean")})
    assert math.isnan(truth_auroc(scored, truth))


def test_plot_top_variants_writes_png(genome, checked, tmp_path):
    scored = score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION)
    for name, table in (("top.png", scored), ("none.png", scored[~scored["status"].isin(["scored", "swapped"])])):
        plot_top_variants(table, tmp_path / name, n=3)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_variants_of_another_build_stop_with_an_error_that_says_so(genome, tmp_path):
    """Positions shifted as if lifted from another build: neither allele matches the genome at
    about half of them, which must stop the run rather than give a table of noise."""
    from cisflow.variants.checks import check_build

    rng = np.random.default_rng(3)
    lines = []
    for i, pos in enumerate(range(20, 100, 4)):
        ref = rng.choice(list("ACGT"))
        alt = rng.choice([b for b in "ACGT" if b != ref])
        lines.append(f"chr1\t{pos}\trs{i}\t{ref}\t{alt}\t.\tPASS\t.")
    path = tmp_path / "grch38.vcf"
    path.write_text(VCF_HEADER + "\n".join(lines) + "\n")
    checked = check_variants(read_vcf(path), genome, SEQ_LEN, "skip")
    assert (checked["status"] == "ref_mismatch").sum() >= 5
    with pytest.raises(ValueError, match=r"grch38.vcf: neither allele matches the genome at \d+ of 20 SNVs .*"
                                         r"probably on another genome build than hg19"):
        check_build(checked, path, "hg19", 0.05)
    check_build(checked, path, "hg19", max_mismatch=1.0)  # the limit raised: scored with flags


def test_a_few_mismatches_are_flagged_not_fatal(checked):
    from cisflow.variants.checks import check_build

    check_build(checked, "variants.vcf", "hg19", 0.05)  # 1 ref_mismatch of 7 SNVs: below 5 mismatches


def test_log2_fold_change_for_outputs_that_cannot_be_negative(genome, checked):
    scored = score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION)  # an indicator and a count
    done = scored["status"].isin(["scored", "swapped"])
    alt, ref = (scored.loc[done, column].astype(np.float64) for column in ("alt_nG", "ref_nG"))
    np.testing.assert_allclose(scored.loc[done, "log2fc_nG"], np.log2((alt + 1) / (ref + 1)), rtol=1e-6)  # float32


def test_no_log2_fold_change_for_signed_outputs(genome, checked):
    class Signed(CentreModel):
        def forward(self, x):
            return super().forward(x) - 5.0

    scored = score_variants(Signed(), CENTRE_META, genome, checked, PRECISION)
    assert not any(column.startswith("log2fc_") for column in scored.columns)


def test_scored_vcf_has_every_allele_with_its_status_and_scores(genome, checked, tmp_path):
    from cisflow.variants.scored_vcf import write_scored_vcf
    from cisflow.variants.scores import headline_table

    ranked = rank_variants(score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION))
    write_scored_vcf(headline_table(ranked, ["centreA", "nG"], "regression"), tmp_path / "out.vcf",
                     ["centreA", "nG"], "regression")
    records = [line.split("\t") for line in (tmp_path / "out.vcf").read_text().splitlines()
               if not line.startswith("#")]
    assert len(records) == len(ranked)
    by_id = {r[2]: r for r in records if r[2] != "masked"}
    assert by_id["nochr"][7] == "STATUS=contig_missing"
    snv = ranked[ranked["id"] == "snv"].iloc[0]
    info = dict(field.split("=") for field in by_id["snv"][7].split(";"))
    assert info["STATUS"] == "scored" and int(info["RANK"]) == snv["rank"]
    assert float(info["SCORE"]) == pytest.approx(snv["score"], rel=1e-4)
    assert float(info["SAD"]) == pytest.approx(snv[f"sad_{info['TARGET']}"], rel=1e-4)
    assert abs(float(info["EFFECT"])) == pytest.approx(snv["max_abs_effect"], rel=1e-4)
    assert float(info["ALTPRED"]) == pytest.approx(snv[f"alt_{info['TARGET']}"], rel=1e-4)
    chr1 = [int(r[1]) for r in records if r[0] == "chr1"]
    assert chr1 == sorted(chr1)


def test_ism_around_a_variant_by_hand(genome):
    """CentreModel's centreA output, both strands averaged: an A at the centre (index 10) gives
    0.5 on the forward strand, a T at index 9 (the reverse strand's centre) the other 0.5."""
    from cisflow.variants.ism import variant_ism

    pos = 50
    row = pd.DataFrame({"chrom": ["chr1"], "pos": [pos], "top_target": ["centreA"]})
    maps, ism_max = variant_ism(CentreModel(), CENTRE_META, genome, row, flank=3)
    window = window_text(pos)
    expected = np.zeros((7, 4))
    for offset in range(-3, 4):
        for b, letter in enumerate("ACGT"):
            changed = window[: 10 + offset] + letter + window[11 + offset :]
            expected[offset + 3, b] = expected_centre_model(changed)[0] - expected_centre_model(window)[0]
    np.testing.assert_allclose(maps[0], expected, atol=1e-6)
    assert ism_max[0] == pytest.approx(np.abs(expected).max())
    assert np.abs(maps[0][[0, 1, 4, 5, 6]]).max() == 0  # only offsets -1 and 0 matter


def test_ism_and_genome_plots_write_pngs(genome, checked, tmp_path):
    from cisflow.variants.ism import variant_ism

    ranked = rank_variants(score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION))
    top = ranked[ranked["score"].notna()].head(3)
    maps, _ = variant_ism(CentreModel(), CENTRE_META, genome, top, flank=4)
    plot_variant_ism(top, maps, tmp_path / "ism.png")
    plot_effects_along_genome(ranked, tmp_path / "genome.png", ["chr1", "chr2"])
    plot_variant_ism(top.head(0), maps[:0], tmp_path / "none.png")
    for name in ("ism.png", "genome.png", "none.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_genome_plot_puts_contigs_in_karyotype_order(monkeypatch, tmp_path):
    """The demo's contigs come chr19, chr22, chr20, chr21 (rank order): the plot reads 19, 20, 21, 22, X, then a
    scaffold, and each contig's points lie right of the one before."""
    from cisflow.variants import plots

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path, **kwargs: figures.append(fig))
    ranked = pd.DataFrame({"id": list("abcdef"),
                           "chrom": ["chr19", "chr22", "chrUn_gl000220", "chr20", "chrX", "chr21"],
                           "pos": [500, 100, 50, 900, 300, 20], "score": [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]})
    plot_effects_along_genome(ranked, tmp_path / "genome.png", ["chrUn_gl000220", "chr19", "chr20", "chr21"])
    ax = figures[0].axes[0]
    order = ["chr19", "chr20", "chr21", "chr22", "chrX", "chrUn_gl000220"]
    assert [label.get_text() for label in ax.get_xticklabels()] == order
    assert list(ax.get_xticks()) == sorted(ax.get_xticks())
    x_of = {chrom: points.get_offsets()[0, 0] for chrom, points in zip(order, ax.collections)}
    assert [x_of[chrom] for chrom in order] == sorted(x_of.values())


def test_indels_scored_from_both_alleles_own_windows(genome, vcf):
    """chr1:40 deletes base 41: the alt window is the ref window's first 11 bases, base 40 at the
    centre, then the genome from base 42 on. A symbolic <DEL> stays unscored."""
    from cisflow.variants.windows import indel_windows

    checked = check_variants(vcf, genome, SEQ_LEN, indels="score")
    deletion = checked[checked["id"] == "del"]
    assert deletion["status"].item() == "indel" and deletion["score_ref"].item() == base(40) + base(41)
    ref_codes, alt_codes = indel_windows(genome, deletion, SEQ_LEN)
    upper = CHR1.upper()
    assert decode(ref_codes[0]) == upper[29:49] == window_text(40)
    assert decode(alt_codes[0]) == upper[29:40] + upper[41:50]
    assert checked.loc[checked["id"] == "sym", "score_ref"].isna().all()
    scored = score_variants(CentreModel(), CENTRE_META, genome, checked, PRECISION)
    row = scored[scored["id"] == "del"].iloc[0]
    np.testing.assert_allclose([row.ref_nG, row.alt_nG], [expected_centre_model(decode(ref_codes[0]))[1],
                                                          expected_centre_model(decode(alt_codes[0]))[1]])
    assert not np.isnan(row.max_abs_sad)
    skipped = score_variants(CentreModel(), CENTRE_META, genome, check_variants(vcf, genome, SEQ_LEN, "skip"),
                             PRECISION)
    assert np.isnan(skipped.loc[skipped["id"] == "del", "max_abs_sad"].item())


@pytest.mark.parametrize("ref, alt, status", [
    ("A", "X", "invalid_allele"), ("I", "A", "invalid_allele"), ("A", "<INS:ME>", "indel"),
    ("A", "A]chr2:100]", "indel"), ("A", "*", "indel"), ("AN", "A", "indel"), ("AR", "A", "invalid_allele"),
    ("N", "A", "ambiguous_allele"), ("A", "n", "ambiguous_allele"), ("R", "G", "ambiguous_allele"),
    ("A", "Y", "ambiguous_allele"), ("N", "N", "ambiguous_allele"), ("N", ".", "indel"), ("N", "AC", "indel"),
])
def test_odd_alleles_get_a_status_of_their_own(genome, tmp_path, ref, alt, status):
    path = tmp_path / "odd.vcf"
    path.write_text(VCF_HEADER + f"chr1\t50\todd\t{ref}\t{alt}\t.\tPASS\t.\n")
    assert check_variants(read_vcf(path), genome, SEQ_LEN, "skip")["status"].item() == status
