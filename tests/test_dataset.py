import dataclasses

import numpy as np
import pandas as pd
import pytest

from cisflow.config.settings import dataset_from_mapping
from cisflow.data.build import from_regions, from_table
from cisflow.data.dataset import load_dataset, split_by_chromosome, split_random
from cisflow.encode import decode
from cisflow.io.errors import ConfigError, InputError
from cisflow.io.genome import prepare_genome
from tests.conftest import write_fasta


def test_split_by_chromosome_and_random():
    assert split_by_chromosome(["c1", "c2", "c3", "c1"], ["c2"], ["c3"]).tolist() == [0, 1, 2, 0]
    with pytest.raises(ConfigError, match=r"^split: chromosomes in both valid and test: c1$"):
        split_by_chromosome(["c1"], ["c1"], ["c1"])
    with pytest.raises(ConfigError, match=r"^split.test: no region lies on chr9 \(regions are on c1, c2, c3\)"):
        split_by_chromosome(["c1", "c2", "c3"], ["c2"], ["chr9"])
    split = split_random(1000, 0.1, 0.2, seed=5)
    assert np.bincount(split).tolist() == [700, 100, 200]
    assert (split == split_random(1000, 0.1, 0.2, seed=5)).all()


def test_a_split_left_empty_is_an_error():
    with pytest.raises(ConfigError, match=r"^split.test: 0.1 of 4 sequences rounds to none; more sequences or a larger "
                                          r"fraction are needed$"):
        split_random(4, 0.5, 0.1, seed=1)
    with pytest.raises(ConfigError, match=r"^split: valid 0.5 and test 0.5 of 3 sequences leave none to train on$"):
        split_random(3, 0.5, 0.5, seed=1)


@pytest.fixture
def genome3(tmp_path):
    """A three-contig genome, indexed: chrA, chrB and chrC of 600 bp seeded random bases."""
    rng = np.random.default_rng(0)
    records = {name: "".join(rng.choice(list("ACGT"), 600)) for name in ("chrA", "chrB", "chrC")}
    fasta = tmp_path / "genome3.fa"
    prepare_genome(write_fasta(tmp_path / "genome3.fa.gz", records, gzipped=True), fasta)
    return fasta, records


SPLIT3 = {"valid": ["chrB"], "test": ["chrC"]}


def peaks_dataset(**keys):
    """A peaks dataset of 50 bp regions held out by SPLIT3, with ``keys``; the schema's defaults for the rest."""
    return dataset_from_mapping({"kind": "peaks", "width": 50, "split": SPLIT3, **keys})


def regions_table(**samples):
    """Regions r1..r4 (chrA, chrA, chrB, chrC), their (4, samples) uint8 matrix of the given 0/1
    columns, and the samples: from_regions' first three arguments."""
    regions = pd.DataFrame({"chrom": ["chrA", "chrA", "chrB", "chrC"], "start": [0, 500, 0, 100],
                            "end": [50, 550, 50, 150], "id": ["r1", "r2", "r3", "r4"]})
    return regions, np.array(list(samples.values()), np.uint8).T.reshape(4, len(samples)), list(samples)


def test_dataset_from_regions(genome3, tmp_path):
    fasta, records = genome3
    spec = peaks_dataset(max_n_fraction=0.1)
    attrs = from_regions(*regions_table(s1=[1, 0, 1, 0], s2=[0, 1, 0, 1]), fasta, spec, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert attrs["targets"] == ["s1", "s2"] and attrs["seq_len"] == 50 and attrs["dropped_targets"] == {}
    assert decode(data.codes[2]) == records["chrB"][:50]
    assert data.targets.tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]] and data.targets.dtype == np.uint8
    assert data.split.tolist() == [0, 0, 1, 2] and data.ids == ["r1", "r2", "r3", "r4"]
    assert isinstance(data.codes, np.memmap) and data.codes.dtype == np.uint8


@pytest.mark.parametrize(
    "samples, message",
    [
        ({"K562": [1, 0, 1, 0], "HeLa": [0, 0, 0, 0]},
         r"regions.tsv.gz: sample HeLa: none of the dataset's 4 regions is positive for it \(the regions of its peaks "
         r"overran contig ends, overlapped the blacklist or had too many N\); set the dataset's empty_targets: drop "
         r"to train without it$"),
        ({"K562": [1, 1, 1, 1], "HeLa": [0, 1, 0, 1]},
         r"regions.tsv.gz: sample K562: all 4 regions of the dataset are positive for it, so it has no negative to "
         r"learn from \(add background regions: the dataset's background\); set the dataset's empty_targets: drop "
         r"to train without it$"),
    ],
)
def test_target_with_no_positive_or_no_negative_is_an_error(genome3, tmp_path, samples, message):
    spec = peaks_dataset(max_n_fraction=0.1)
    with pytest.raises(InputError, match=message):
        from_regions(*regions_table(**samples), genome3[0], spec, tmp_path / "ds", source="results/regions.tsv.gz")
    assert not (tmp_path / "ds").exists()


def test_no_region_left_is_an_error(genome3, tmp_path):
    regions, targets, samples = regions_table(s1=[1, 0, 1, 0])
    with pytest.raises(InputError, match=r"regions.tsv.gz: no region is left to build the dataset from \(peaks: 5, "
                                         r"regions overrunning contig end: 5, regions: 0\)$"):
        from_regions(regions.iloc[:0], targets[:0], samples, genome3[0], peaks_dataset(max_n_fraction=0.1),
                     tmp_path / "ds",
                     {"peaks": 5, "regions_overrunning_contig_end": 5, "regions": 0}, source="regions.tsv.gz")
    assert not (tmp_path / "ds").exists()


def test_empty_targets_drop_records_why_in_attrs(genome3, tmp_path):
    spec = peaks_dataset(max_n_fraction=0.1, empty_targets="drop")
    intervals_counts = {"peaks": 9, "dropped_targets": {"A549": "none of its 3 peaks lie on contigs of the genome (Z)"}}
    attrs = from_regions(*regions_table(K562=[1, 1, 1, 1], HeLa=[0, 1, 0, 1], GM=[0, 0, 0, 0]), genome3[0], spec,
                         tmp_path / "ds", intervals_counts)
    data = load_dataset(tmp_path / "ds")
    assert attrs["targets"] == ["HeLa"] and data.targets[:, 0].tolist() == [0, 1, 0, 1]
    assert list(attrs["dropped_targets"]) == ["A549", "K562", "GM"]
    assert attrs["dropped_targets"]["GM"].startswith("none of the dataset's 4 regions is positive for it")
    assert "dropped_targets" not in attrs["counts"] and attrs["counts"]["peaks"] == 9
    with pytest.raises(InputError, match=r"regions: no sample is left to train on: sample K562: all 4 regions .*; "
                                         r"sample GM: none of the dataset's 4 regions"):
        from_regions(*regions_table(K562=[1, 1, 1, 1], GM=[0, 0, 0, 0]), genome3[0], spec, tmp_path / "d2")
    assert not (tmp_path / "d2").exists()


TABLE = dataset_from_mapping({"kind": "table", "table": "t", "sequence_column": "sequence", "id_column": "id",
                              "target_columns": ["activity"], "length": 6, "length_tolerance": 1, "max_n": 1,
                              "pad": "right", "split": {"valid": 0.25, "test": 0.25, "seed": 1}})
HEADERLESS = dataclasses.replace(TABLE, sequence_column="0", target_columns=["1"], id_column=None)


def write_table(tmp_path, rows):
    path = tmp_path / "table.tsv"
    path.write_text("id\tsequence\tactivity\n" + "".join("\t".join(r) + "\n" for r in rows))
    return path


def test_dataset_from_table_applies_dream_rules(tmp_path):
    path = write_table(tmp_path, [("a", "ACGTAC", "1.5"), ("b", "ACGTA", "2"), ("c", "ACGTACGT", "3"),
                                  ("d", "ACNNAC", "4"), ("e", "acgtacg", "5")])
    attrs = from_table(path, TABLE, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert data.ids == ["a", "b", "e"]
    assert [decode(c) for c in data.codes] == ["ACGTAC", "ACGTAN", "ACGTAC"]
    assert attrs["counts"] == {"rows": 5, "outside_length_range": 1, "too_many_n": 1, "kept": 3}
    assert data.targets[:, 0].tolist() == [1.5, 2.0, 5.0]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("a", "ACGTAC", "1"), ("b", "ACGTAC", "")], r"table.tsv:3: target 'activity' is missing"),
        ([("a", "ACGTAC", "high")], r"table.tsv:2: target 'activity' is not a number: 'high'"),
        ([("a", "ACGTAC", "1"), ("a", "ACGTAC", "2")], r"table.tsv:3: id 'a' appears more than once"),
        ([("a", "ACGTAC", "1"), ("b", "ACGXAC", "2")], r"table.tsv:3: character 'X' at position 4"),
        ([("a", "ACGTAC", "1"), ("b", "ACGTAC", "inf")], r"table.tsv:3: target 'activity' is infinite: 'inf'$"),
        ([("a", "ACGTAC", "-Infinity")], r"table.tsv:2: target 'activity' is infinite: '-Infinity'$"),
        ([("a", "ACGTAC", "1e400")], r"table.tsv:2: target 'activity' is infinite: '1e400'$"),
        ([("a", "ACGTAC", "1e39")], r"table.tsv:2: target 'activity' is beyond float32's range \(±3.4e\+38\): '1e39'$"),
        ([("a", "ACGTAC", "1"), ("b", "ACGTAC", "2", "x")], r"table.tsv:3: 4 fields, but the header has 3$"),
        ([("a", "ACGTAC", "1", "x"), ("b", "ACGTAC", "2", "y")],
         r"table.tsv:2: 4 fields, but the header has 3 \(a first column of row names, as R's write.table writes them, "
         r"needs a name in the header\)$"),
        ([], r"table.tsv: the table has a header but no rows$"),
        ([("a", "ACG", "1"), ("b", "ACGTACGTAC", "2"), ("c", "ACNNAC", "3")],
         r"table.tsv: none of its 3 rows is kept: 2 outside the length range 6 ± 1 \(length_tolerance\), 1 with more "
         r"than 1 N \(max_n\)$"),
    ],
)
def test_bad_tables(tmp_path, rows, message):
    with pytest.raises(InputError, match=message):
        from_table(write_table(tmp_path, rows), TABLE, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ("", r"table.tsv: the table is empty$"),
        ('id\tsequence\tactivity\n"a\nb"\tACGTAC\t1\n\nc\tACGTAC\t2\t3\n',  # a quoted id spans lines 2-3
         r"table.tsv:5: 4 fields, but the header has 3$"),
        ("ACGTAC\t1\nACGTAC\t1\t3\n", r"table.tsv:2: 3 fields, but the first row has 2$"),
        ("id,sequence,activity\nr1,a,ACGTAC,1\n", r"table.tsv:2: 4 fields, but the header has 3 \(a first column "),
        ("id,sequence,activity\na,ACGTAC,1\nb,ACGTAC,2,7\n", r"table.tsv:3: 4 fields, but the header has 3$"),
        ('id,sequence,activity\na,ACGTAC,1\nb,"ACGTAC,2\nc,ACGTAC,3\n',
         r"table.tsv:3: unexpected end of data \(a quote left open, or text after a closing quote\)$"),
        ("id,sequence,id\na,ACGTAC,1\n", r"table.tsv:1: column 'id' appears 2 times in the header$"),
    ],
)
def test_table_layout_errors(tmp_path, text, message):
    path = tmp_path / "table.tsv"
    path.write_text(text)
    spec = HEADERLESS if text.startswith("ACG") else TABLE
    for chunk_rows in (500_000, 1):
        with pytest.raises(InputError, match=message):
            from_table(path, spec, tmp_path / "ds", chunk_rows=chunk_rows)
    assert not (tmp_path / "ds").exists()


def test_headerless_table_by_column_number(tmp_path):
    path = tmp_path / "dream.txt"
    path.write_text("ACGTAC\t3\nACGTAA\t4\nACGTAG\t5\nACGTAT\t6\n")
    from_table(path, HEADERLESS, tmp_path / "ds")
    assert load_dataset(tmp_path / "ds").ids == ["row1", "row2", "row3", "row4"]


def test_dinucleotide_shuffles_join_their_sources_split(genome3, tmp_path):
    fasta, _ = genome3
    spec = peaks_dataset(max_n_fraction=0.1, background_method="dinucleotide_shuffle", background=0.5,
                         seed=4)  # every region positive: the shuffles are the negatives
    attrs = from_regions(*regions_table(s1=[1, 1, 1, 1]), fasta, spec, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert attrs["counts"]["dinucleotide_shuffles"] == 2  # one per two positive regions
    shuffled = [int(name.split(":r")[1]) - 1 for name in data.ids[4:]]
    assert data.targets[4:, 0].tolist() == [0, 0] and data.split[4:].tolist() == data.split[shuffled].tolist()
    assert sorted(decode(data.codes[4])) == sorted(decode(data.codes[shuffled[0]]))


def test_table_read_in_chunks_gives_the_same_dataset_and_true_line_numbers(tmp_path):
    rows = [(f"s{i}", "ACGTAC", str(i)) for i in range(7)]
    path = write_table(tmp_path, rows)
    from_table(path, TABLE, tmp_path / "whole")
    from_table(path, TABLE, tmp_path / "chunked", chunk_rows=2)
    whole, chunked = load_dataset(tmp_path / "whole"), load_dataset(tmp_path / "chunked")
    assert whole.ids == chunked.ids and (whole.codes == chunked.codes).all()
    with pytest.raises(InputError, match=r"table.tsv:7: id 's1' appears more than once"):
        from_table(write_table(tmp_path, rows[:5] + [("s1", "ACGTAC", "9")]), TABLE, tmp_path / "d", chunk_rows=2)
    with pytest.raises(InputError, match=r"table.tsv:6: target 'activity' is not a number: 'x'"):
        from_table(write_table(tmp_path, rows[:4] + [("s9", "ACGTAC", "x")]), TABLE, tmp_path / "d", chunk_rows=2)


def test_held_out_chromosomes_that_take_every_region_leave_nothing_to_train_on():
    from cisflow.data.dataset import split_by_chromosome

    with pytest.raises(ConfigError, match=r"^split: every region lies on the held-out chromosomes chr1, chr2, so "
                                          r"none is left to train on"):
        split_by_chromosome(["chr1", "chr2", "chr1"], ["chr1"], ["chr2"])


def test_a_trailing_separator_is_not_an_extra_field(tmp_path):
    """Spreadsheets write "a,ACGTAC,1," rows: the empty last field is no value of a column."""
    path = tmp_path / "table.csv"
    path.write_text("id,sequence,activity\n" + "".join(f"s{i},ACGTAC,{i},\n" for i in range(20)))
    from_table(path, TABLE, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert sorted(data.ids) == sorted(f"s{i}" for i in range(20))
    assert all(value == int(name[1:]) for name, value in zip(data.ids, data.targets[:, 0]))


def test_a_build_a_region_at_a_time_writes_the_dataset_of_one_chunk(tmp_path):
    """N filtering, a target left without positives (dropped), shuffles and the split: one region a
    chunk gives the files of one chunk, byte for byte."""
    rng = np.random.default_rng(7)
    records = {name: "".join(rng.choice(list("ACGT"), 400)) for name in ("chrA", "chrB", "chrC")}
    records["chrA"] = records["chrA"][:100] + "N" * 60 + records["chrA"][160:]
    fasta = tmp_path / "g.fa"
    prepare_genome(write_fasta(tmp_path / "g.fa.gz", records, gzipped=True), fasta)
    starts = [0, 90, 150, 300, 10, 200, 40, 320]
    regions = pd.DataFrame({"chrom": ["chrA"] * 4 + ["chrB"] * 2 + ["chrC"] * 2, "start": starts,
                            "end": [s + 50 for s in starts], "id": [f"r{i}" for i in range(8)]})
    targets = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 0]],
                       np.uint8)  # r1 and r2 (40 and 10 N) dropped: s3 is left without a positive
    spec = peaks_dataset(max_n_fraction=0.1, background_method="dinucleotide_shuffle", background=0.6, seed=2,
                         empty_targets="drop")
    whole = from_regions(regions, targets, ["s1", "s2", "s3"], fasta, spec, tmp_path / "whole")
    chunked = from_regions(regions, targets, ["s1", "s2", "s3"], fasta, spec, tmp_path / "chunked", chunk_rows=1)
    assert whole == chunked and whole["targets"] == ["s1", "s2"] and list(whole["dropped_targets"]) == ["s3"]
    assert whole["counts"] == {"regions_in": 8, "too_many_n": 2, "dinucleotide_shuffles": 3, "kept": 9}
    for name in ("codes.npy", "targets.npy", "split.npy", "ids.txt", "attrs.json"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunked" / name).read_bytes(), name
    data = load_dataset(tmp_path / "chunked")
    assert data.ids[:6] == ["r0", "r3", "r4", "r5", "r6", "r7"] and decode(data.codes[1]) == records["chrA"][300:350]
    assert data.targets.dtype == np.uint8 and data.targets[:6].tolist() == [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0],
                                                                            [0, 0]]
    assert data.targets[6:].tolist() == [[0, 0]] * 3 and data.split.tolist() == [0, 0, 1, 1, 2, 2, 0, 0, 1]


def test_classification_targets_are_bytes_and_0_or_1(tmp_path):
    from cisflow.data.dataset import write_dataset

    codes, split = np.zeros((3, 4), np.uint8), [0, 1, 2]
    write_dataset(tmp_path / "c", codes, [1.0, 0.0, 1.0], split, ["a", "b", "c"], {"task": "classification"})
    write_dataset(tmp_path / "r", codes, [0.5, -2, 1e6], split, ["a", "b", "c"], {"task": "regression"})
    assert load_dataset(tmp_path / "c").targets.dtype == np.uint8
    assert load_dataset(tmp_path / "r").targets.tolist() == [[0.5], [-2.0], [1e6]]
    with pytest.raises(ValueError, match=r"^classification targets are 0 or 1, not 0.5$"):
        write_dataset(tmp_path / "x", codes, [1, 0.5, 0], split, ["a", "b", "c"], {"task": "classification"})
    spec = dataclasses.replace(TABLE, task="classification")
    from_table(write_table(tmp_path, [(name, "ACGTAC", label) for name, label in zip("abcd", "1010")]), spec,
               tmp_path / "t")
    assert load_dataset(tmp_path / "t").targets.dtype == np.uint8
    with pytest.raises(InputError, match=r"table.tsv:4: target 'activity' is 0.7, but the table's task is "
                                         r"classification: its targets are 0 or 1$"):
        from_table(write_table(tmp_path, [("a", "ACGTAC", "1"), ("b", "ACGTAC", "0"), ("c", "ACGTAC", "0.7")]), spec,
                   tmp_path / "t2")
    assert not (tmp_path / "x").exists() and not (tmp_path / "t2").exists()


def test_an_unfinished_or_uneven_dataset_leaves_nothing(tmp_path):
    from cisflow.data.dataset import dataset_writer

    with pytest.raises(RuntimeError, match="the dataset was left unfinished"):
        with dataset_writer(tmp_path / "a", "regression") as writer:
            writer.add_codes(np.zeros((2, 5), np.uint8), ["x", "y"])
    with pytest.raises(ValueError, match=r"codes, targets, split and ids differ in length"):
        with dataset_writer(tmp_path / "b", "regression") as writer:
            writer.add_codes(np.zeros((2, 5), np.uint8), ["x", "y"])
            writer.add_targets(np.zeros((1, 1)))
            writer.finish([0, 0], {"task": "regression"})
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_a_sequence_shorter_than_a_genome_dataset_is_centred_and_a_tables_padded_at_its_pad(tmp_path):
    from cisflow.data.dataset import sequence_padding

    assert sequence_padding({"task": "classification", "source": "peaks"}) == "both"
    path = write_table(tmp_path, [(name, "ACGTAC", "1") for name in "abcd"])
    assert sequence_padding(from_table(path, dataclasses.replace(TABLE, pad="left"), tmp_path / "ds")) == "left"
