"""Filter motifs, Tomtom matches, MEME output, attributions and logo plots; the interpret rule's
``interpret_experiment`` on a trained model."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from cisflow.config.settings import Interpret, Training
from cisflow.encode import N_CODE, decode, encode
from cisflow.interpret import filters
from cisflow.interpret.attribution import is_reference, ism, ism_importance, saliency, strongest_window, top_examples
from cisflow.interpret.filters import FilterPFM, filter_pfms, frequencies, information_content, write_meme
from cisflow.interpret.interpret import interpret_experiment, top_attributions
from cisflow.interpret.logos import plot_attributions, plot_filter_matches, plot_logo
from cisflow.interpret.matches import best_matches
from cisflow.interpret.matching import MATCH_COLUMNS, match_motifs
from cisflow.models.checkpoint import load_model
from cisflow.models.convnet import ConvNet
from cisflow.models.predict import one_hot
from cisflow.stats import benjamini_hochberg
from cisflow.training.train import train

KMER = "GATTACA"
SEQ_LEN = 60


# ---------------------------------------------------------------------------------------------
# filter_pfms on a filter set by hand


def kmer_model(width, lead):
    """Filter 0 fires (activation 1) exactly where KMER starts at window column ``lead``;
    its other columns have weight 0. Filter 1 never fires."""
    model = ConvNet(SEQ_LEN, 1, conv=[dict(filters=2, width=width)], batchnorm=False)
    weight = torch.zeros(2, 4, width)
    for j, code in enumerate(encode(KMER)):
        weight[0, :, lead + j] = -1
        weight[0, code, lead + j] = 1
    with torch.no_grad():
        model.first_conv.weight.copy_(weight)
        model.first_conv.bias.copy_(torch.tensor([-(len(KMER) - 1.0), 0.0]))
    return model.eval()


def background(rng, n):
    """Random sequences that do not contain KMER on either strand."""
    seqs = []
    while len(seqs) < n:
        seq = "".join(rng.choice(list("ACGT"), SEQ_LEN))
        if KMER not in seq and "TGTAATC" not in seq:
            seqs.append(seq)
    return seqs


def plant(seq, pos, text=KMER):
    return seq[:pos] + text + seq[pos + len(text):]


def planted_sequences(lead):
    """Sequences with KMER planted where the expected counting is known (see the test)."""
    seqs = background(np.random.default_rng(1), 12)
    seqs[0] = plant(plant(seqs[0], 10), 30)                 # two interior sites
    seqs[1] = plant(seqs[1], 20)                            # one interior site
    seqs[2] = plant(seqs[2], 0)                             # window starts before the sequence
    seqs[3] = plant(seqs[3], SEQ_LEN - len(KMER))           # window may end after it
    seqs[4] = plant(plant(seqs[4], 25), 25 - lead, "N")     # N inside the window (left flank)
    seqs[5] = plant(plant(seqs[5], 40), 5, "N")             # N elsewhere: still counted
    return np.stack([encode(s) for s in seqs])


@pytest.mark.parametrize("width, lead", [(9, 1), (8, 1), (10, 2)])
def test_filter_pfms_recovers_planted_kmer(width, lead):
    codes = planted_sequences(lead)
    counted_at_end = width - lead == len(KMER)  # no right flank: the end site's window fits
    pfms = filter_pfms(kmer_model(width, lead), codes, threshold=0.5, batch_size=4)

    kmer_filter, dead = pfms
    assert kmer_filter.counts.shape == (width, 4)
    assert kmer_filter.n_sites == 4 + counted_at_end
    assert kmer_filter.n_seqs == 3 + counted_at_end
    assert kmer_filter.max_activation == pytest.approx(1.0)
    kmer_columns = kmer_filter.counts[lead : lead + len(KMER)]
    assert decode(kmer_columns.argmax(axis=1)) == KMER
    # every counted site has the k-mer in exactly these columns: an off-by-one shifts them
    np.testing.assert_array_equal(kmer_columns.max(axis=1), kmer_filter.n_sites)
    np.testing.assert_array_equal(kmer_filter.counts.sum(axis=1), kmer_filter.n_sites)
    assert (dead.n_sites, dead.n_seqs, dead.max_activation) == (0, 0, 0.0)
    assert not dead.counts.any()


def test_filter_pfms_same_in_one_batch_and_in_small_hit_chunks(monkeypatch):
    codes = planted_sequences(1)
    model = kmer_model(9, 1)
    whole = filter_pfms(model, codes, threshold=0.5, batch_size=len(codes))
    monkeypatch.setattr(filters, "_HITS_PER_CHUNK", 1)
    chunked = filter_pfms(model, codes, threshold=0.5, batch_size=5)
    for a, b in zip(whole, chunked):
        np.testing.assert_array_equal(a.counts, b.counts)
        assert (a.n_sites, a.n_seqs) == (b.n_sites, b.n_seqs)


def test_threshold_is_relative_to_the_maximum():
    codes = planted_sequences(1)
    codes[6] = encode(plant(decode(codes[6]), 30, "GATTAGA"))  # one mismatch
    model = kmer_model(9, 1)
    with torch.no_grad():
        model.first_conv.bias[0] += 2  # exact match: 3, one mismatch: 1
    strict = filter_pfms(model, codes, threshold=0.5)[0]
    loose = filter_pfms(model, codes, threshold=0.3)[0]
    assert strict.n_sites == 4 and strict.counts[1 + 5, 2] == 0
    assert loose.n_sites >= 5 and loose.counts[1 + 5, 2] >= 1  # the G of GATTAGA


def test_information_content_and_frequencies():
    counts = np.array([[10, 0, 0, 0], [5, 5, 5, 5]])
    probs = frequencies(counts, pseudocount=0)
    assert information_content(probs) == pytest.approx(2.0)
    smoothed = frequencies(counts)
    np.testing.assert_allclose(smoothed.sum(axis=1), 1)
    assert 0 < smoothed[0, 1] < 0.05


# ---------------------------------------------------------------------------------------------
# MEME output


def read_meme_text(path):
    """A minimal MEME reader: {name: (nsites, (w, 4) probabilities)}."""
    motifs, lines = {}, open(path).read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("MOTIF"):
            header = lines[i + 1].split()
            width, n_sites = int(header[header.index("w=") + 1]), int(header[header.index("nsites=") + 1])
            rows = [list(map(float, row.split())) for row in lines[i + 2 : i + 2 + width]]
            motifs[line.split()[1]] = (n_sites, np.array(rows))
    return motifs


def test_write_meme_round_trips(tmp_path):
    pfms = filter_pfms(kmer_model(9, 1), planted_sequences(1), threshold=0.5)
    path = tmp_path / "filters.meme"
    write_meme(path, pfms)
    text = path.read_text()
    assert text.startswith("MEME version 4\n")
    assert "ALPHABET= ACGT" in text and "strands: + -" in text and "A 0.25 C 0.25 G 0.25 T 0.25" in text
    motifs = read_meme_text(path)
    assert list(motifs) == ["filter0"]  # filter1 never fired
    n_sites, probs = motifs["filter0"]
    assert n_sites == pfms[0].n_sites
    np.testing.assert_allclose(probs, pfms[0].probabilities, atol=1e-6)

    from memelite.io import read_meme
    np.testing.assert_allclose(read_meme(str(path))["filter0"], pfms[0].probabilities.T, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Tomtom against JASPAR (the first run in a fresh environment compiles memelite: ~1 minute)


def test_benjamini_hochberg():
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.5]),
                               [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def pfm(index, counts, n_sites):
    return FilterPFM(index, np.asarray(counts, dtype=np.float64), n_sites, n_sites, 1.0)


def jaspar_and_filters():
    """JASPAR CORE vertebrates and five filters: GATA1, a random one, one without sites, a
    uniform one and CTCF's reverse complement less 2 columns."""
    from cisflow.interpret.jaspar import load_jaspar

    motifs = load_jaspar("JASPAR2024", "vertebrates")
    by_id = {m.matrix_id: m for m in motifs}
    gata1, ctcf = by_id["MA0035.5"].probabilities, by_id["MA0139.2"].probabilities
    rng = np.random.default_rng(7)
    random_counts = np.stack([rng.multinomial(40, rng.dirichlet(np.ones(4))) for _ in range(12)])
    pfms = [
        pfm(0, gata1 * 1000, 1000),
        pfm(1, random_counts, 40),
        pfm(2, np.zeros((10, 4)), 0),
        pfm(3, np.full((10, 4), 25), 100),
        pfm(4, ctcf[::-1, ::-1][2:] * 500, 500),
    ]
    return motifs, pfms


@pytest.fixture(scope="module")
def matches():
    motifs, pfms = jaspar_and_filters()
    return match_motifs(pfms, motifs, top=5, min_information=2.0)


def test_match_table_accounts_for_every_filter(matches):
    assert list(matches.columns) == MATCH_COLUMNS
    status = matches.groupby("filter")["status"].first().to_dict()
    assert status == {0: "tested", 1: "tested", 2: "no_sites", 3: "low_information", 4: "tested"}
    assert matches.groupby("filter").size().to_dict() == {0: 5, 1: 5, 2: 1, 3: 1, 4: 5}
    skipped = matches[matches.status != "tested"]
    assert skipped.jaspar_id.isna().all() and skipped["rank"].isna().all()


def test_gata1_filter_matches_gata1(matches):
    rows = matches[matches["filter"] == 0]
    assert list(rows["rank"]) == [1, 2, 3, 4, 5]
    assert (np.diff(rows.p_value) >= 0).all()
    best = rows.iloc[0]
    assert (best.jaspar_id, best["name"], best.offset, best.orientation) == ("MA0035.5", "GATA1", 0, "+")
    assert best.q_value < 1e-6 and best.shuffle_p_value == pytest.approx(1 / 101)
    assert best.q_value >= best.p_value
    assert best.e_value == pytest.approx(best.p_value * 879)


def test_random_filter_matches_nothing(matches):
    # Tomtom's own q-value is often small for random motifs (see match_motifs); the column
    # shuffle control is not
    assert matches[matches["filter"] == 1].shuffle_p_value.min() > 0.05


def test_shuffle_control_stops_for_a_filter_that_fails_it_only(monkeypatch):
    """The random filter fails the control within a few rounds and stops there; the matched
    filters get every shuffle, the same ones as in a single round, and so the same values."""
    import memelite

    from cisflow.interpret import matching

    motifs, pfms = jaspar_and_filters()
    shuffled, tomtom = [], memelite.tomtom

    def counting(queries, targets, **options):
        if options.get("n_nearest") == 1:
            shuffled.append(len(queries))
        return tomtom(queries, targets, **options)

    monkeypatch.setattr(memelite, "tomtom", counting)
    rounds = match_motifs(pfms, motifs)
    in_rounds, shuffled[:] = sum(shuffled), []
    monkeypatch.setattr(matching, "SHUFFLES_PER_ROUND", 100)
    single = match_motifs(pfms, motifs)
    assert sum(shuffled) == 3 * 100 > in_rounds  # three filters are tested
    matched = rounds["filter"].isin([0, 4])
    np.testing.assert_array_equal(rounds.loc[matched, "shuffle_p_value"], single.loc[matched, "shuffle_p_value"])
    assert rounds.loc[rounds["filter"] == 1, "shuffle_p_value"].min() > 0.05


def test_reverse_complement_offset_and_orientation(matches):
    rows = matches[matches["filter"] == 4].set_index("jaspar_id")
    assert "MA0139.2" in rows.index
    ctcf = rows.loc["MA0139.2"]
    assert (ctcf.orientation, ctcf.offset, ctcf.overlap) == ("-", 2, 13)
    assert ctcf.q_value < 1e-6 and ctcf.shuffle_p_value < 0.05


# ---------------------------------------------------------------------------------------------
# Attribution


class Linear(nn.Module):
    """out[t] = sum over bases and positions of W[t] * x: its gradient is W."""

    def __init__(self, length, n_targets=2):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_targets, 4, length, generator=torch.Generator().manual_seed(0)))

    def forward(self, x):
        return torch.einsum("tcl,bcl->bt", self.weight, x)


def some_codes(n=5, length=20):
    codes = np.random.default_rng(3).integers(0, 4, (n, length)).astype(np.uint8)
    codes[1, 4] = N_CODE
    return codes


def test_saliency_is_gradient_times_input():
    codes = some_codes()
    model = Linear(codes.shape[1])
    weight = model.weight.detach().numpy()
    expected = np.where(codes < 4, weight[1][np.minimum(codes, 3), np.arange(codes.shape[1])], 0)
    np.testing.assert_array_equal(saliency(model, codes, target=1, batch_size=2), expected)
    assert saliency(model, codes, target=1)[1, 4] == 0


def test_ism_regression_is_weight_difference():
    codes = some_codes()
    model = Linear(codes.shape[1])
    weight = model.weight.detach().numpy()[0].T  # (L, 4)
    effects = ism(model, codes, target=0, task="regression", batch_size=7)
    assert effects.shape == codes.shape + (4,)
    for i, seq in enumerate(codes):
        reference = np.where(seq < 4, weight[np.arange(len(seq)), np.minimum(seq, 3)], 0)
        np.testing.assert_allclose(effects[i], weight - reference[:, None], atol=1e-5)
        called = seq < 4
        assert (effects[i][called, seq[called]] == 0).all()
    assert (effects[1, 4] != 0).all()  # an N position has no reference base


class Noisy(Linear):
    """A model whose repeated predictions differ slightly, as on GPUs."""

    def forward(self, x):
        return super().forward(x) + 1e-4 * torch.rand(len(x), self.weight.shape[0])


def test_ism_is_exactly_zero_at_reference_bases():
    codes = some_codes(n=2)
    effects = ism(Noisy(codes.shape[1]), codes, target=0, task="regression")
    called = codes < 4
    assert (effects[called, codes[called]] == 0).all()
    assert (effects[~is_reference(codes)] != 0).all()


def test_ism_classification_changes_probability():
    codes = some_codes(n=2)
    model = Linear(codes.shape[1])
    effects = ism(model, codes, target=1, task="classification")
    seq = codes[0].copy()
    before = torch.sigmoid(model(one_hot(torch.as_tensor(seq[None]))))[0, 1].item()
    seq[3] = (seq[3] + 1) % 4
    after = torch.sigmoid(model(one_hot(torch.as_tensor(seq[None]))))[0, 1].item()
    assert effects[0, 3, seq[3]] == pytest.approx(after - before, abs=1e-6)
    assert np.abs(effects).max() <= 1


def test_ism_over_a_span_is_that_slice_of_the_full_scan():
    codes = some_codes(n=2)
    model = Linear(codes.shape[1])
    full = ism(model, codes, target=0, task="regression")
    np.testing.assert_allclose(ism(model, codes, target=0, task="regression", span=(3, 7)), full[:, 3:7], atol=1e-6)


def test_ism_importance_is_the_drop_when_the_observed_base_is_mutated():
    codes = some_codes(n=2)
    model = Linear(codes.shape[1])
    weight = model.weight.detach().numpy()[0].T  # (L, 4): a linear model's output is the sum of these
    heights = ism_importance(ism(model, codes, target=0, task="regression"), codes)
    seq = codes[0]
    for position, base in enumerate(seq):
        others = [b for b in range(4) if b != base]
        expected = weight[position, base] - weight[position, others].mean() if base < 4 else 0
        assert heights[0, position].sum() == pytest.approx(expected, abs=1e-5)
        assert np.count_nonzero(heights[0, position]) <= 1  # only the observed base has a height
    assert (heights[1, 4] == 0).all()  # N: no observed base


def test_top_examples():
    np.testing.assert_array_equal(top_examples([0.1, 0.9, 0.5, 0.9], 3), [1, 3, 2])
    with pytest.raises(ValueError):
        top_examples(np.zeros((3, 2)), 1)


# ---------------------------------------------------------------------------------------------
# Plots


def letter_boxes(ax):
    return [patch.get_path().get_extents() for patch in ax.patches]


def test_logo_of_probabilities_is_scaled_by_information():
    ax = Figure().subplots()
    plot_logo(ax, np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25], [0.5, 0, 0.5, 0]]), x0=10)
    boxes = sorted(letter_boxes(ax), key=lambda box: (box.x0, box.y0))
    assert [round(box.height, 6) for box in boxes] == [2.0, 0.5, 0.5]  # nothing drawn for the uniform column
    assert boxes[0].x0 == pytest.approx(10 - 0.45) and boxes[-1].x1 == pytest.approx(12 + 0.45)
    assert ax.get_ylim() == (0, 2)


def test_logo_of_heights_draws_negative_letters_below_zero():
    ax = Figure().subplots()
    plot_logo(ax, np.array([[0, 0.7, 0, 0], [0, 0, -0.4, 0]]))
    boxes = sorted(letter_boxes(ax), key=lambda box: box.x0)
    assert (boxes[0].y0, boxes[0].y1) == pytest.approx((0, 0.7))
    assert (boxes[1].y0, boxes[1].y1) == pytest.approx((-0.4, 0))
    assert ax.get_ylim() == pytest.approx((-0.4, 0.7))


def is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots_write_png(tmp_path):
    probs = frequencies(np.eye(4)[encode(KMER)] * 20)
    plot_filter_matches(tmp_path / "match.png", [dict(title="filter0 ~ test", filter_probs=probs,
                                                      jaspar_probs=probs[::-1, ::-1], offset=-2, orientation="-")] * 2)
    codes = some_codes(n=2, length=200)[1]
    contributions = np.sin(np.arange(200) / 7)
    effects = np.random.default_rng(0).normal(size=(50, 4))
    plot_attributions(tmp_path / "long.png", [dict(title="long", contributions=contributions, codes=codes),
                                              dict(title="short", contributions=contributions[:30], codes=codes[:30]),
                                              dict(title="with ism", contributions=contributions, codes=codes,
                                                   ism=effects, ism_start=120)],
                      window=50)
    plot_filter_matches(tmp_path / "none.png", [])
    for name in ("match.png", "long.png", "none.png"):
        assert is_png(tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.png", "match.png", "none.png"]


def test_strongest_window():
    contributions = np.zeros(100)
    contributions[70:75] = -3
    assert strongest_window(contributions, 10) == 67  # positions 70-74 in the middle
    assert strongest_window(np.zeros(30), 10) in range(21)
    assert strongest_window(np.ones(8), 10) == 0  # shorter than the window
    contributions[95:] = 9
    assert strongest_window(contributions, 10) == 90  # kept inside the sequence


def test_filter_influence_singles_out_the_filter_that_drives_the_output():
    """A hand-built model: filter 0 detects GATTAC and drives the output, filter 1 is wired to
    nothing. Silencing filter 0 lowers the output of motif carriers; silencing filter 1 changes nothing."""
    import torch

    from cisflow.interpret.influence import filter_influence
    from cisflow.models.registry import build

    model = build("cnn", seq_len=30, n_targets=1, conv=[{"filters": 2, "width": 6}], dense=[], batchnorm=False,
                  global_pool="max").eval()
    with torch.no_grad():
        weight = torch.zeros(2, 4, 6)
        weight[0, torch.from_numpy(encode("GATTAC").astype(np.int64)), torch.arange(6)] = 1.0
        weight[1] = torch.randn(4, 6)
        model.first_conv.weight.copy_(weight)
        model.first_conv.bias.copy_(torch.tensor([-5.0, 0.0]))
        model.output_layer.weight.copy_(torch.tensor([[3.0, 0.0]]))
        model.output_layer.bias.zero_()
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, (40, 30)).astype(np.uint8)
    codes[:20, 12:18] = encode("GATTAC")
    changes, overall = filter_influence(model, codes, "regression")
    assert changes.shape == (2, 1) and overall.shape == (2,)
    assert changes[0, 0] < -1.0  # the motif carriers lose 3 x 1 on average, half the set
    assert changes[1, 0] == pytest.approx(0.0, abs=1e-6)
    assert overall.argmax() == 0


def test_influence_in_one_pass_of_many_filters_is_each_filter_silenced_alone():
    """The vectorised influence (first layer once a batch, filters silenced in copies of it, in
    several passes when they outnumber the batch) against the plain loop over filters, on a
    model with batch norm, two conv layers and per-sequence features."""
    from cisflow.interpret.influence import filter_influence
    from cisflow.models.predict import predict
    from cisflow.models.registry import build

    torch.manual_seed(0)
    model = build("cnn", seq_len=40, n_targets=3, conv=[{"filters": 12, "width": 7}, {"filters": 6, "width": 5}],
                  dense=[8], global_pool="avg", n_features=2).eval()
    with torch.no_grad():
        for norm in (m for m in model.modules() if isinstance(m, nn.BatchNorm1d)):
            norm.running_mean.uniform_(-0.5, 0.5)
            norm.running_var.uniform_(0.5, 2.0)
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 5, (50, 40)).astype(np.uint8)
    features = rng.normal(size=(50, 2))
    intact = predict(model, codes, task="classification", features=features)
    with torch.no_grad():
        acts = model.first_conv(one_hot(torch.as_tensor(codes)))
    means = acts.mean(dim=(0, 2))
    expected = np.zeros((12, 3))
    for index in range(12):
        def silence(module, inputs, output, index=index):
            output = output.clone()
            output[:, index] = means[index]
            return output

        hook = model.first_conv.register_forward_hook(silence)
        expected[index] = (predict(model, codes, task="classification", features=features) - intact).mean(axis=0)
        hook.remove()
    changes, overall = filter_influence(model, codes, "classification", batch_size=8, features=features)
    np.testing.assert_allclose(changes, expected, atol=1e-6)
    np.testing.assert_allclose(overall, (expected**2).mean(axis=1), atol=1e-9)


def test_subsample_is_seeded_in_file_order_and_whole_when_small():
    from cisflow.interpret.subsample import subsample

    indices = np.arange(100, 1100)
    kept = subsample(indices, 50, seed=3)
    assert len(kept) == 50 and len(set(kept)) == 50 and set(kept) <= set(indices)
    assert (np.diff(kept) > 0).all()
    np.testing.assert_array_equal(kept, subsample(indices, 50, seed=3))
    assert not np.array_equal(kept, subsample(indices, 50, seed=4))
    np.testing.assert_array_equal(subsample(indices, 1000, seed=3), indices)


# ---------------------------------------------------------------------------------------------
# interpret_experiment: a model trained on a planted AP-1 site

MODEL = {"conv": [{"filters": 8, "width": 9}], "global_pool": "max", "dense": [8]}
TRAINING = Training.from_mapping({"epochs": 8, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0,
                                  "patience": 10, "lr_patience": 3, "reverse_complement": True, "seed": 3,
                                  "resident_limit_gb": 16, "shift": 0, "selection": "auto"})
INTERPRET = Interpret.from_mapping({"activation_threshold": 0.7, "jaspar_release": "JASPAR2024",
                                    "tax_group": "vertebrates", "saliency_examples": 2, "influence_examples": 100,
                                    "subsample": 5000, "seed": 0})


OUTPUTS = ("f.meme", "m.tsv", "motifs.png", "saliency.png", "influence.tsv", "reproducibility.tsv")


def test_interpret_experiment_finds_the_planted_ap1_site(tmp_path, planted):
    train(planted, "basset", MODEL, TRAINING, tmp_path / "m.pt", tmp_path / "h.tsv", tmp_path / "r.pt")
    out = {name: tmp_path / name for name in OUTPUTS}
    matches = interpret_experiment(tmp_path / "m.pt", planted, INTERPRET, *out.values())
    assert all(path.exists() for path in out.values())
    table = pd.read_csv(out["m.tsv"], sep="\t")
    assert len(table) == len(matches) and set(table["filter"]) == set(range(8)) and set(table["member"]) == {"model"}
    names = set(matches.loc[matches["q_value"] < 0.05, "name"])
    assert any(name.startswith(("FOS", "JUN", "BATF", "ATF")) for name in names), names  # TGACTCA is AP-1
    influence = pd.read_csv(out["influence.tsv"], sep="\t", keep_default_na=False)
    assert sorted(influence["filter"]) == list(range(8)) and influence["influence"].is_monotonic_decreasing
    top = influence.iloc[0]
    assert top["change_bound"] < 0  # silencing the most influential filter lowers the binding prediction
    best = matches[(matches["filter"] == top["filter"]) & (matches["rank"] == 1)]
    assert best["name"].iloc[0].upper().startswith(("FOS", "JUN", "BATF", "ATF"))  # ... and it is the AP-1 filter


def test_an_ensembles_filters_are_matched_member_by_member_and_counted_as_reproducibility(tmp_path, planted):
    """Filter 3 of one member is not filter 3 of another: every member's filters get their own rows,
    and each motif is counted by the members that learned it; ISM is the members' mean."""
    from cisflow.models.ensemble import save_ensemble

    for seed in (3, 4):
        train(planted, "basset", MODEL, dataclasses.replace(TRAINING, seed=seed),
              tmp_path / f"seed{seed}" / "model.pt", tmp_path / f"seed{seed}" / "h.tsv",
              tmp_path / f"seed{seed}" / "r.pt",
              member={"name": f"seed{seed}", "seed": seed, "fold": None})
    save_ensemble(tmp_path / "m.pt", [tmp_path / "seed3" / "model.pt", tmp_path / "seed4" / "model.pt"],
                  ["seed3", "seed4"])
    out = {name: tmp_path / name for name in OUTPUTS}
    matches = interpret_experiment(tmp_path / "m.pt", planted, INTERPRET, *out.values())
    table = pd.read_csv(out["m.tsv"], sep="\t")
    assert len(table) == len(matches) and table.groupby("member")["filter"].nunique().to_dict() == {"seed3": 8,
                                                                                                     "seed4": 8}
    meme = out["f.meme"].read_text()
    assert "MOTIF seed3.filter0" in meme or "MOTIF seed4.filter0" in meme
    found = pd.read_csv(out["reproducibility.tsv"], sep="\t")
    best = best_matches(table)
    for row in found.itertuples():
        members = set(best.loc[best["name"] == row.name, "member"])
        assert row.members == len(members) and row.of == 2 and set(row.found_in.split(",")) == members
    assert list(found["members"]) == sorted(found["members"], reverse=True)
    influence = pd.read_csv(out["influence.tsv"], sep="\t", keep_default_na=False)
    assert len(influence) == 16 and influence["influence"].is_monotonic_decreasing
    ensemble, meta = load_model(tmp_path / "m.pt")
    seqs = np.random.default_rng(0).integers(0, 4, (2, 40)).astype(np.uint8)
    each = [ism(load_model(tmp_path / f"seed{s}" / "model.pt")[0], seqs, 0, "classification") for s in (3, 4)]
    np.testing.assert_allclose(ism(ensemble, seqs, 0, "classification"), np.mean(each, axis=0), atol=1e-6)


def test_top_attributions_takes_targets_in_turn_and_never_repeats(tmp_path, planted):
    train(planted, "basset", MODEL, dataclasses.replace(TRAINING, epochs=2), tmp_path / "m.pt", tmp_path / "h.tsv",
          tmp_path / "r.pt")
    model, meta = load_model(tmp_path / "m.pt")
    codes = np.random.default_rng(0).integers(0, 4, (5, 40)).astype(np.uint8)
    panels = top_attributions(model, meta, codes, 3, [f"s{i}" for i in range(5)])
    titles = [p["title"].split(":")[0] for p in panels]
    assert len(panels) == 3 and len(set(titles)) == 3
    assert all(p["contributions"].shape == (40,) for p in panels)
    assert all(p["ism"].shape == (40, 4) and p["ism_start"] == 0 for p in panels)  # 40 < the 60-base window
    index = int(panels[0]["title"].split(":")[0][1:])
    target = meta["dataset"]["targets"].index(panels[0]["title"].split(": ")[1].split(" prediction")[0])
    np.testing.assert_allclose(panels[0]["ism"], ism(model, codes[index : index + 1], target,
                                                     meta["dataset"]["task"])[0], atol=1e-6)
