import pandas as pd
import pytest

from cisflow.data.intervals import drop_blacklisted, merge_peaks, run
from cisflow.io.errors import InputError


def peaks(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "summit"])


SIZES = {"chr1": 10_000, "chr2": 5_000}


def test_overlapping_peaks_merge_into_one_region_active_in_both():
    by_sample = {
        "a": peaks([("chr1", 900, 1100, 1000), ("chr1", 5000, 5200, 5100)]),
        "b": peaks([("chr1", 950, 1150, 1040), ("chr2", 2000, 2100, 2050)]),
    }
    regions, counts = merge_peaks(by_sample, 100, SIZES)
    assert regions[["chrom", "start", "end", "a", "b"]].values.tolist() == [
        ["chr1", 970, 1070, 1, 1],  # centred on the mean summit 1020
        ["chr1", 5050, 5150, 1, 0],
        ["chr2", 2000, 2100, 0, 1],
    ]
    assert counts["regions"] == 3 and counts["peaks"] == 4


def test_regions_overrunning_contig_ends_are_dropped_and_counted():
    by_sample = {"a": peaks([("chr1", 0, 60, 20), ("chr2", 4950, 5000, 4990), ("chr2", 100, 400, 250)])}
    regions, counts = merge_peaks(by_sample, 100, SIZES)
    assert regions["start"].tolist() == [200]
    assert counts["regions_overrunning_contig_end"] == 2


def test_missing_contig_dropped_or_error():
    by_sample = {"a": peaks([("chrUn", 0, 60, 20), ("chr1", 500, 700, 600)])}
    regions, counts = merge_peaks(by_sample, 100, SIZES)
    assert len(regions) == 1 and counts["peaks_on_missing_contigs"] == 1
    with pytest.raises(InputError, match=r"peaks.bed: peaks on contigs absent from the genome: chrUn$"):
        merge_peaks(by_sample, 100, SIZES, missing_contig="error", paths={"a": "peaks.bed"})


def test_sample_with_every_peak_on_missing_contigs_is_an_error_or_dropped():
    by_sample = {"K562": peaks([(f"chrZ{i}", 0, 60, 20) for i in range(7)] + [("chrZ0", 100, 160, 120)]),
                 "HeLa": peaks([("chr1", 500, 700, 600), ("chr2", 500, 700, 600)])}
    paths = {"K562": "peaks/K562", "HeLa": "peaks/HeLa"}
    message = (r"^peaks/K562: sample K562: none of its 8 peaks lie on contigs of the genome \(chrZ0, chrZ1, chrZ2, "
               r"chrZ3, chrZ4, \.\.\.\); check that the peaks and the genome are of one build, map contig names "
               r"with contig_aliases, or set the dataset's empty_targets: drop to train without it$")
    with pytest.raises(InputError, match=message):
        merge_peaks(by_sample, 100, SIZES, paths=paths)
    regions, counts = merge_peaks(by_sample, 100, SIZES, paths=paths, empty_targets="drop")
    assert list(regions.columns[4:]) == ["HeLa"] and regions["HeLa"].tolist() == [1, 1]
    assert counts["dropped_targets"] == {"K562": "none of its 8 peaks lie on contigs of the genome "
                                                  "(chrZ0, chrZ1, chrZ2, chrZ3, chrZ4, ...)"}
    assert counts["peaks"] == 10 and counts["peaks_on_missing_contigs"] == 8
    with pytest.raises(InputError, match=r"^peaks/K562: no sample is left to train on: sample K562: none of its 8 "):
        merge_peaks({"K562": by_sample["K562"]}, 100, SIZES, paths=paths, empty_targets="drop")


def test_blacklisted_regions_are_dropped_and_counted():
    regions, _ = merge_peaks({"a": peaks([("chr1", 900, 1100, 1000), ("chr1", 5000, 5200, 5100),
                                          ("chr2", 2000, 2100, 2050)])}, 100, SIZES)
    blacklist = pd.DataFrame({"chrom": ["chr1", "chr2"], "start": [1040, 2100], "end": [1500, 2200]})
    kept, dropped = drop_blacklisted(regions, blacklist)
    assert kept["start"].tolist() == [5050, 2000] and dropped == 1  # [2000, 2100) only touches [2100, 2200)


def test_merge_agrees_with_bedtools_merge_on_random_peaks():
    import numpy as np
    import pybedtools

    rng = np.random.default_rng(5)
    sizes = {"chr1": 200_000, "chr2": 100_000}
    by_sample = {}
    for sample in "abcd":
        chrom = rng.choice(list(sizes), 300)
        summit = rng.integers(0, 100_000, 300)
        by_sample[sample] = peaks(list(zip(chrom, summit - 50, summit + 50, summit)))
    regions, counts = merge_peaks(by_sample, 200, sizes)
    windows = [(c, max(int(s) - 100, 0), int(s) + 100, int(s), k) for k, frame in enumerate(by_sample.values())
               for c, s in zip(frame["chrom"], frame["summit"])]
    merged = list(pybedtools.BedTool(windows).sort().merge(c="4,5", o="mean,distinct"))
    expected = []
    for feature in merged:
        start = int(round(float(feature.fields[3]))) - 100
        if 0 <= start and start + 200 <= sizes[feature.chrom]:
            members = {int(m) for m in feature.fields[4].split(",")}
            expected.append((feature.chrom, start, *[int(k in members) for k in range(4)]))
    pybedtools.cleanup()
    got = [tuple(row) for row in regions[["chrom", "start", "a", "b", "c", "d"]].itertuples(index=False)]
    assert sorted(got) == sorted(expected) and counts["merged_regions"] == len(merged)


@pytest.mark.parametrize("method", ["random", "gc_matched", "dinucleotide_shuffle"])
def test_the_intervals_stage_writes_regions_background_and_counts(tmp_path, genome, method):
    """Two samples' peaks (a narrowPeak and a BED), a blacklist over one region: the regions
    table holds the merged regions, then the background ones the method asks for (none for
    shuffles, which the dataset makes), and the counts say what each filter did."""
    import json

    fasta, _ = genome
    a, b = tmp_path / "a.narrowPeak", tmp_path / "b.bed"
    a.write_text("chrA\t400\t600\tp1\t0\t.\t1\t1\t1\t100\nchrA\t1400\t1600\tp2\t0\t.\t1\t1\t1\t90\n")
    b.write_text("chrB\t300\t500\tq1\nchrA\t420\t620\tq2\n")
    (tmp_path / "black.bed").write_text("chrA\t1450\t1460\n")
    spec = {"width": 100, "center": "summit", "background": 1.0, "background_method": method, "seed": 1,
            "missing_contig": "drop", "empty_targets": "error"}
    counts = run({"a": str(a), "b": str(b)}, {"a": None, "b": None}, fasta, spec, tmp_path / "r.tsv.gz",
                 tmp_path / "c.json", blacklist=tmp_path / "black.bed")
    regions = pd.read_csv(tmp_path / "r.tsv.gz", sep="\t")
    assert list(regions.columns) == ["chrom", "start", "end", "id", "a", "b"]
    peaks_part = regions[(regions["a"] + regions["b"]) > 0]
    assert peaks_part[["chrom", "a", "b"]].values.tolist() == [["chrA", 1, 1], ["chrB", 0, 1]]
    assert counts["regions_in_blacklist"] == 1 and counts["regions"] == 2
    assert counts["background_regions"] == len(regions) - 2 == (0 if method == "dinucleotide_shuffle" else 3) - \
        counts.get("background_in_blacklist", 0)
    assert json.loads((tmp_path / "c.json").read_text()) == counts
