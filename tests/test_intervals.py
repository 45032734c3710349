import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from cisflow.config.settings import dataset_from_mapping
from cisflow.data.intervals import build_intervals, in_blacklist, merge_peaks
from cisflow.io.errors import InputError
from cisflow.io.regions import read_intervals


def peaks(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "summit"])


SIZES = {"chr1": 10_000, "chr2": 5_000}


def peaks_dataset(width=100, **keys):
    """A peaks dataset of ``width`` bp regions with ``keys``; the schema's defaults for the rest."""
    return dataset_from_mapping({"kind": "peaks", "width": width, "split": {"valid": ["chr1"], "test": ["chr2"]},
                                 **keys})


def test_overlapping_peaks_merge_into_one_region_active_in_both():
    by_sample = {
        "a": peaks([("chr1", 900, 1100, 1000), ("chr1", 5000, 5200, 5100)]),
        "b": peaks([("chr1", 950, 1150, 1040), ("chr2", 2000, 2100, 2050)]),
    }
    regions, activity, samples, counts = merge_peaks(by_sample, peaks_dataset(), SIZES)
    assert regions[["chrom", "start", "end"]].values.tolist() == [
        ["chr1", 970, 1070],  # centred on the mean summit 1020
        ["chr1", 5050, 5150],
        ["chr2", 2000, 2100],
    ]
    assert samples == ["a", "b"] and activity.dtype == np.uint8 and activity.tolist() == [[1, 1], [1, 0], [0, 1]]
    assert counts["regions"] == 3 and counts["peaks"] == 4


def test_regions_overrunning_contig_ends_are_dropped_and_counted():
    by_sample = {"a": peaks([("chr1", 0, 60, 20), ("chr2", 4950, 5000, 4990), ("chr2", 100, 400, 250)])}
    regions, activity, _, counts = merge_peaks(by_sample, peaks_dataset(), SIZES)
    assert regions["start"].tolist() == [200] and activity.tolist() == [[1]]
    assert counts["regions_overrunning_contig_end"] == 2


def test_missing_contig_dropped_or_error():
    by_sample = {"a": peaks([("chrUn", 0, 60, 20), ("chr1", 500, 700, 600)])}
    regions, _, _, counts = merge_peaks(by_sample, peaks_dataset(), SIZES)
    assert len(regions) == 1 and counts["peaks_on_missing_contigs"] == 1
    with pytest.raises(InputError, match=r"peaks.bed: peaks on contigs absent from the genome: chrUn$"):
        merge_peaks(by_sample, peaks_dataset(missing_contig="error"), SIZES, paths={"a": "peaks.bed"})


def test_sample_with_every_peak_on_missing_contigs_is_an_error_or_dropped():
    by_sample = {"K562": peaks([(f"chrZ{i}", 0, 60, 20) for i in range(7)] + [("chrZ0", 100, 160, 120)]),
                 "HeLa": peaks([("chr1", 500, 700, 600), ("chr2", 500, 700, 600)])}
    paths = {"K562": "peaks/K562", "HeLa": "peaks/HeLa"}
    message = (r"^peaks/K562: sample K562: none of its 8 peaks lie on contigs of the genome \(chrZ0, chrZ1, chrZ2, "
               r"chrZ3, chrZ4, \.\.\.\); check that the peaks and the genome are of one build, map contig names "
               r"with contig_aliases, or set the dataset's empty_targets: drop to train without it$")
    with pytest.raises(InputError, match=message):
        merge_peaks(by_sample, peaks_dataset(), SIZES, paths=paths)
    regions, activity, samples, counts = merge_peaks(by_sample, peaks_dataset(empty_targets="drop"), SIZES, paths=paths)
    assert samples == ["HeLa"] and activity.tolist() == [[1], [1]]
    assert counts["dropped_targets"] == {"K562": "none of its 8 peaks lie on contigs of the genome "
                                                  "(chrZ0, chrZ1, chrZ2, chrZ3, chrZ4, ...)"}
    assert counts["peaks"] == 10 and counts["peaks_on_missing_contigs"] == 8
    with pytest.raises(InputError, match=r"^peaks/K562: no sample is left to train on: sample K562: none of its 8 "):
        merge_peaks({"K562": by_sample["K562"]}, peaks_dataset(empty_targets="drop"), SIZES, paths=paths)


def test_blacklisted_regions_are_found():
    regions, *_ = merge_peaks({"a": peaks([("chr1", 900, 1100, 1000), ("chr1", 5000, 5200, 5100),
                                           ("chr2", 2000, 2100, 2050)])}, peaks_dataset(), SIZES)
    blacklist = pd.DataFrame({"chrom": ["chr1", "chr2", "chr9"], "start": [1040, 2100, 0], "end": [1500, 2200, 9]})
    assert in_blacklist(regions, blacklist).tolist() == [True, False, False]  # [2000, 2100) only touches [2100, 2200)


@pytest.fixture
def pybedtools():
    """pybedtools, with bedtools on PATH (tools/ensure-bedtools.sh installs it where it can): skipped without
    them, except in CI (CISFLOW_CI=1), where their absence is a failure. Its temporary files are removed after."""
    reason = None
    if shutil.which("bedtools") is None:
        reason = "no bedtools on PATH (tools/ensure-bedtools.sh says how to get it)"
    else:
        try:
            import pybedtools
        except ImportError:
            reason = "no pybedtools (make test installs requirements-dev.txt)"
    if reason is not None:
        if os.environ.get("CISFLOW_CI"):
            pytest.fail(f"CISFLOW_CI is set but there is {reason}")
        pytest.skip(reason)
    yield pybedtools
    pybedtools.cleanup()


def test_blacklist_agrees_with_bedtools_intersect_on_random_intervals(pybedtools):
    rng = np.random.default_rng(3)
    start = rng.integers(0, 100_000, 2000)
    regions = pd.DataFrame({"chrom": rng.choice(["chr1", "chr2"], 2000), "start": start, "end": start + 200})
    black_start = rng.integers(0, 100_000, 300)
    blacklist = pd.DataFrame({"chrom": rng.choice(["chr1", "chr2", "chr3"], 300), "start": black_start,
                              "end": black_start + rng.integers(1, 3000, 300)})
    rows = list(zip(regions["chrom"], regions["start"], regions["end"], range(len(regions))))
    hits = pybedtools.BedTool(rows).intersect(pybedtools.BedTool(blacklist.values.tolist()), u=True)
    expected = sorted(int(feature.fields[3]) for feature in hits)
    assert np.flatnonzero(in_blacklist(regions, blacklist)).tolist() == expected and 0 < len(expected) < 2000


def test_merge_agrees_with_bedtools_merge_on_random_peaks(pybedtools):
    rng = np.random.default_rng(5)
    sizes = {"chr1": 200_000, "chr2": 100_000}
    by_sample = {}
    for sample in "abcd":
        chrom = rng.choice(list(sizes), 300)
        summit = rng.integers(0, 100_000, 300)
        by_sample[sample] = peaks(list(zip(chrom, summit - 50, summit + 50, summit)))
    regions, activity, _, counts = merge_peaks(by_sample, peaks_dataset(width=200), sizes)
    windows = [(c, max(int(s) - 100, 0), int(s) + 100, int(s), k) for k, frame in enumerate(by_sample.values())
               for c, s in zip(frame["chrom"], frame["summit"])]
    merged = list(pybedtools.BedTool(windows).sort().merge(c="4,5", o="mean,distinct"))
    expected = []
    for feature in merged:
        start = int(round(float(feature.fields[3]))) - 100
        if 0 <= start and start + 200 <= sizes[feature.chrom]:
            members = {int(m) for m in feature.fields[4].split(",")}
            expected.append((feature.chrom, start, *[int(k in members) for k in range(4)]))
    got = [(chrom, start, *row) for chrom, start, row in zip(regions["chrom"], regions["start"], activity.tolist())]
    assert sorted(got) == sorted(expected) and counts["merged_regions"] == len(merged)


@pytest.mark.parametrize("method", ["random", "gc_matched", "dinucleotide_shuffle"])
def test_the_intervals_stage_writes_regions_background_and_counts(tmp_path, genome, method):
    """Two samples' peaks (a narrowPeak and a BED), a blacklist over one region: the regions
    table holds the merged regions, then the background ones the method asks for (none for
    shuffles, which the dataset makes), the matrix their samples' 0/1 as bytes (background rows
    0), and the counts say what each filter did."""
    fasta, _ = genome
    a, b = tmp_path / "a.narrowPeak", tmp_path / "b.bed"
    a.write_text("chrA\t400\t600\tp1\t0\t.\t1\t1\t1\t100\nchrA\t1400\t1600\tp2\t0\t.\t1\t1\t1\t90\n")
    b.write_text("chrB\t300\t500\tq1\nchrA\t420\t620\tq2\n")
    (tmp_path / "black.bed").write_text("chrA\t1450\t1460\n")
    spec = peaks_dataset(center="summit", background=1.0, background_method=method, seed=1, missing_contig="drop",
                         empty_targets="error")
    outputs = [tmp_path / "r.tsv.gz", tmp_path / "r.targets.npy", tmp_path / "c.json"]
    counts = build_intervals({"a": str(a), "b": str(b)}, {"a": None, "b": None}, fasta, spec, *outputs,
                             blacklist=tmp_path / "black.bed")
    regions, targets, samples, written_counts = read_intervals(*outputs)
    assert list(regions.columns) == ["chrom", "start", "end", "id", "background"] and samples == ["a", "b"]
    assert isinstance(targets, np.memmap) and targets.dtype == np.uint8 and targets.shape == (len(regions), 2)
    assert regions["chrom"].tolist()[:2] == ["chrA", "chrB"] and targets[:2].tolist() == [[1, 1], [0, 1]]
    assert regions["background"].tolist() == [0, 0] + [1] * (len(regions) - 2) and not targets[2:].any()
    assert counts["regions_in_blacklist"] == 1 and counts["regions"] == 2
    assert counts["background_regions"] == len(regions) - 2 == (0 if method == "dinucleotide_shuffle" else 3) - \
        counts.get("background_in_blacklist", 0)
    assert written_counts == counts and json.loads(outputs[2].read_text())["samples"] == ["a", "b"]


def test_a_matrix_that_does_not_fit_its_table_is_an_error(tmp_path):
    from cisflow.io.regions import write_intervals

    regions = pd.DataFrame({"chrom": ["c1", "c1"], "start": [0, 50], "end": [10, 60], "id": ["r1", "r2"],
                            "background": [0, 1]})
    outputs = [tmp_path / "r.tsv.gz", tmp_path / "r.targets.npy", tmp_path / "c.json"]
    write_intervals(regions, np.array([[1, 0], [0, 0]]), ["s1", "s2"], {"regions": 1}, *outputs)
    assert read_intervals(*outputs)[1].tolist() == [[1, 0], [0, 0]]
    np.save(outputs[1], np.zeros((3, 2), np.uint8))
    with pytest.raises(InputError, match=r"r.targets.npy: holds a 3 x 2 uint8 matrix, not the 2 x 2 uint8 of "):
        read_intervals(*outputs)


@pytest.mark.parametrize("row, line, problem", [
    ("chr1\t-5\t10\tr2\t0", 3, "start '-5' is not a non-negative integer"),
    ("chr1\t50\t40\tr2\t0", 3, "start is not before end"),
    ("chr1\t50\t60\tr2\t2", 3, "background is not 0 or 1"),
    ("chr1\t50\t60\tr2", 3, "4 fields, but the header has 5"),
])
def test_a_regions_table_with_a_bad_line_is_refused_naming_it(tmp_path, row, line, problem):
    from cisflow.io.regions import read_regions

    path = tmp_path / "r.tsv"
    path.write_text(f"chrom\tstart\tend\tid\tbackground\nchr1\t0\t10\tr1\t0\n{row}\n")
    with pytest.raises(InputError, match=rf"^{path}:{line}: {problem}$"):
        read_regions(path)
