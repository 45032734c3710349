import numpy as np
import pandas as pd
import pytest

from cisflow.build_dataset import from_regions, from_table
from cisflow.dataset import load_dataset, split_by_chromosome, split_random
from cisflow.encode import decode
from cisflow.errors import InputError


def test_split_by_chromosome_and_random():
    assert split_by_chromosome(["c1", "c2", "c3", "c1"], ["c2"], ["c3"]).tolist() == [0, 1, 2, 0]
    with pytest.raises(ValueError, match="both valid and test"):
        split_by_chromosome(["c1"], ["c1"], ["c1"])
    with pytest.raises(ValueError, match=r"split.test: no region lies on chr9 \(regions are on c1, c2, c3\)"):
        split_by_chromosome(["c1", "c2", "c3"], ["c2"], ["chr9"])
    split = split_random(1000, 0.1, 0.2, seed=5)
    assert np.bincount(split).tolist() == [700, 100, 200]
    assert (split == split_random(1000, 0.1, 0.2, seed=5)).all()


def test_dataset_from_regions(genome, tmp_path):
    fasta, records = genome
    records_n = records["chrB"][:100]
    regions = pd.DataFrame({"chrom": ["chrA", "chrA", "chrB"], "start": [0, 500, 0], "end": [50, 550, 50],
                            "id": ["r1", "r2", "r3"], "s1": [1, 0, 1], "s2": [0, 1, 0]})
    spec = {"max_n_fraction": 0.1, "split": {"valid": ["chrB"], "test": ["chrA"]}}
    attrs = from_regions(regions, fasta, spec, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert attrs["targets"] == ["s1", "s2"] and attrs["seq_len"] == 50
    assert decode(data.codes[2]) == records_n[:50]
    assert data.targets.tolist() == [[1, 0], [0, 1], [1, 0]]
    assert data.split.tolist() == [2, 2, 1] and data.ids == ["r1", "r2", "r3"]
    assert isinstance(data.codes, np.memmap) and data.codes.dtype == np.uint8


TABLE_SPEC = {"sequence_column": "sequence", "target_columns": ["activity"], "id_column": "id", "length": 6,
              "length_tolerance": 1, "max_n": 1, "pad": "right", "split": {"valid": 0.25, "test": 0.25, "seed": 1}}


def write_table(tmp_path, rows):
    path = tmp_path / "table.tsv"
    path.write_text("id\tsequence\tactivity\n" + "".join("\t".join(r) + "\n" for r in rows))
    return path


def test_dataset_from_table_applies_dream_rules(tmp_path):
    path = write_table(tmp_path, [("a", "ACGTAC", "1.5"), ("b", "ACGTA", "2"), ("c", "ACGTACGT", "3"),
                                  ("d", "ACNNAC", "4"), ("e", "acgtacg", "5")])
    attrs = from_table(path, TABLE_SPEC, tmp_path / "ds")
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
    ],
)
def test_bad_tables(tmp_path, rows, message):
    with pytest.raises(InputError, match=message):
        from_table(write_table(tmp_path, rows), TABLE_SPEC, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def test_headerless_table_by_column_number(tmp_path):
    path = tmp_path / "dream.txt"
    path.write_text("ACGTAC\t3\nACGTAA\t4\nACGTAG\t5\nACGTAT\t6\n")
    spec = {**TABLE_SPEC, "sequence_column": "0", "target_columns": ["1"], "id_column": None}
    from_table(path, spec, tmp_path / "ds")
    assert load_dataset(tmp_path / "ds").ids == ["row1", "row2", "row3", "row4"]


def test_dinucleotide_shuffles_join_their_sources_split(genome, tmp_path):
    fasta, _ = genome
    regions = pd.DataFrame({"chrom": ["chrA", "chrA", "chrB"], "start": [0, 500, 0], "end": [50, 550, 50],
                            "id": ["r1", "r2", "r3"], "s1": [1, 0, 1]})
    spec = {"max_n_fraction": 0.1, "split": {"valid": ["chrB"], "test": ["chrA"]},
            "background_method": "dinucleotide_shuffle", "background": 1.0, "seed": 4}
    attrs = from_regions(regions, fasta, spec, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert attrs["counts"]["dinucleotide_shuffles"] == 2  # one per positive region
    assert data.ids[3:] == ["shuffle0:r1", "shuffle1:r3"]
    assert data.targets[3:, 0].tolist() == [0, 0] and data.split[3:].tolist() == [2, 1]
    assert sorted(decode(data.codes[3])) == sorted(decode(data.codes[0]))


def test_table_read_in_chunks_gives_the_same_dataset_and_true_line_numbers(tmp_path):
    rows = [(f"s{i}", "ACGTAC", str(i)) for i in range(7)]
    path = write_table(tmp_path, rows)
    from_table(path, TABLE_SPEC, tmp_path / "whole")
    from_table(path, TABLE_SPEC, tmp_path / "chunked", chunk_rows=2)
    whole, chunked = load_dataset(tmp_path / "whole"), load_dataset(tmp_path / "chunked")
    assert whole.ids == chunked.ids and (whole.codes == chunked.codes).all()
    with pytest.raises(InputError, match=r"table.tsv:7: id 's1' appears more than once"):
        from_table(write_table(tmp_path, rows[:5] + [("s1", "ACGTAC", "9")]), TABLE_SPEC, tmp_path / "d", chunk_rows=2)
    with pytest.raises(InputError, match=r"table.tsv:6: target 'activity' is not a number: 'x'"):
        from_table(write_table(tmp_path, rows[:4] + [("s9", "ACGTAC", "x")]), TABLE_SPEC, tmp_path / "d", chunk_rows=2)
