import gzip

import numpy as np
import pytest

from cisflow.config.schema import validate
from cisflow.config.settings import dataset_from_mapping
from cisflow.data.build import from_fasta
from cisflow.data.dataset import load_dataset
from cisflow.encode import decode
from cisflow.io.errors import InputError
from cisflow.io.fasta import read_fasta, read_labelled
from tests.workflow_helpers import ROOT

SPEC = {"kind": "fasta", "sources": [{"table": "pos", "label": 1}, {"table": "neg", "label": 0}],
        "targets": ["bound"], "task": "classification", "length": 8, "length_tolerance": None, "max_n": None,
        "pad": "right", "split": {"valid": 0.25, "test": 0.25, "seed": 3}}


def fasta_dataset(**keys):
    """The fasta dataset of SPEC's keys and ``keys`` (a section, as the dataset rule builds it)."""
    return dataset_from_mapping({**SPEC, **keys})


def write(path, text):
    path.write_text(text)
    return path


def test_records_are_streamed_upper_cased_with_their_header_line(tmp_path):
    path = write(tmp_path / "a.fa", ">chr1:10-18 peak one\nACgt\nacGT\n\n>chr2:5-11\r\nNNRYac\r\n")
    assert list(read_fasta(path)) == [("chr1:10-18", "ACGTACGT", 1), ("chr2:5-11", "NNNNAC", 5)]


def test_gzipped_fasta_is_recognised_by_content(tmp_path):
    with gzip.open(tmp_path / "a", "wt") as out:  # downloads keep no extension
        out.write(">s1\nACGT\n")
    assert list(read_fasta(tmp_path / "a")) == [("s1", "ACGT", 1)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("ACGT\n>s1\nACGT\n", r"a\.fa:1: sequence before the first '>' header"),
        (">s1\nACGT\n>\nACGT\n", r"a\.fa:3: FASTA header without a name"),
        (">s1\nACGT\n>s2\n>s3\nAC\n", r"a\.fa:3: record 's2' has no sequence"),
        (">s1\nACGT\n>s2\n", r"a\.fa:3: record 's2' has no sequence"),
        (">s1\nACGT\n>s1\nACGT\n", r"a\.fa:3: record 's1' appears twice \(first on line 1\)"),
        (">s1\nACGT\nAC-T\n", r"a\.fa:3: character '-' at column 3 is not a base"),
        (">s1\nACGT\nAC GT\n", r"a\.fa:3: character ' ' at column 3 is not a base"),
        ("\n\n", r"a\.fa: no FASTA records found"),
    ],
)
def test_malformed_fasta_names_file_and_line(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        list(read_fasta(write(tmp_path / "a.fa", text)))


def test_labels_per_file_and_one_value_per_target(tmp_path):
    a = write(tmp_path / "a.fa", ">x\nAC\n>y\nGT\n")
    b = write(tmp_path / "b.fa", ">z\nAA\n")
    names, sequences, targets, where = read_labelled([a, b], [1, [0, 2.5]], 2)
    assert names == ["x", "y", "z"] and sequences == ["AC", "GT", "AA"]
    assert targets == [(1.0, 1.0), (1.0, 1.0), (0.0, 2.5)] and where[2] == (b, 1)
    with pytest.raises(ValueError, match="has 3 values for 2 targets"):
        read_labelled([a], [[1, 0, 1]], 2)


def test_record_in_two_files_is_an_error_naming_both(tmp_path):
    a = write(tmp_path / "a.fa", ">x\nAC\n")
    b = write(tmp_path / "b.fa", ">w\nAC\n>x\nGT\n")
    with pytest.raises(InputError, match=r"b\.fa:3: record 'x' is also in .*a\.fa \(line 1\)"):
        read_labelled([a, b], [1, 0], 1)


def fasta_of(tmp_path, name, count, seed):
    rng = np.random.default_rng(seed)
    records = [f">{name}{i}\n{''.join(rng.choice(list('ACGT'), 8))}\n" for i in range(count)]
    return write(tmp_path / f"{name}.fa", "".join(records))


def test_dataset_from_labelled_fasta_with_random_test_split(tmp_path):
    pos, neg = fasta_of(tmp_path, "p", 20, 1), fasta_of(tmp_path, "n", 20, 2)
    write(tmp_path / "odd.fa", ">short\nACG\n>long\nACGTACGTAC\n>many_n\nNNNNNACG\n")
    spec = fasta_dataset(sources=SPEC["sources"] + [{"table": "odd", "label": 1}], length_tolerance=2, max_n=2)
    attrs = from_fasta([pos, neg, tmp_path / "odd.fa"], spec, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert attrs["counts"] == {"records": 43, "test_records": 0, "outside_length_range": 1, "too_many_n": 1,
                               "kept": 41}
    assert attrs["task"] == "classification" and attrs["targets"] == ["bound"] and attrs["seq_len"] == 8
    assert data.ids[:2] == ["p0", "p1"] and data.ids[-1] == "long"
    assert decode(data.codes[-1]) == "ACGTACGT"  # trimmed at the right end
    assert data.targets[:, 0].tolist() == [1] * 20 + [0] * 20 + [1]
    assert attrs["split_sizes"] == {"train": 21, "valid": 10, "test": 10}


def test_test_files_form_the_test_split(tmp_path):
    pos, neg = fasta_of(tmp_path, "p", 20, 1), fasta_of(tmp_path, "n", 20, 2)
    pos_test, neg_test = fasta_of(tmp_path, "pt", 3, 3), fasta_of(tmp_path, "nt", 4, 4)
    spec = fasta_dataset(test_sources=[{"table": "pt", "label": 1}, {"table": "nt", "label": 0}],
                         split={"valid": 0.25, "seed": 3})
    attrs = from_fasta([pos, neg], spec, tmp_path / "ds", test_paths=[pos_test, neg_test])
    data = load_dataset(tmp_path / "ds")
    test = data.indices("test")
    assert [data.ids[i] for i in test] == [f"pt{i}" for i in range(3)] + [f"nt{i}" for i in range(4)]
    assert data.targets[test, 0].tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert attrs["split_sizes"] == {"train": 30, "valid": 10, "test": 7}
    assert attrs["counts"]["test_records"] == 7
    with pytest.raises(ValueError, match="1 test FASTA files for 2 test_sources"):
        from_fasta([pos, neg], spec, tmp_path / "ds2", test_paths=[pos_test])


def test_malformed_fasta_leaves_no_dataset(tmp_path):
    pos, bad = fasta_of(tmp_path, "p", 4, 1), write(tmp_path / "bad.fa", ">s1\nACGTACGT\nACGTXCGT\n")
    with pytest.raises(InputError, match=r"bad\.fa:3: character 'X' at column 5"):
        from_fasta([pos, bad], fasta_dataset(), tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


def config_with(dataset):
    return {"tables": {}, "datasets": {"d": dataset},
            "experiments": {"e": {"dataset": "d", "model": {"name": "cnn"}}}}


def test_schema_fills_fasta_defaults_and_names_bad_keys():
    schema = ROOT / "cisflow" / "schemas" / "config.schema.yaml"
    dataset = {"kind": "fasta", "sources": [{"table": "a", "label": 1}], "length": 200,
               "split": {"valid": 0.1, "test": 0.1}}
    spec = validate(config_with(dataset), schema, "c.yaml")["datasets"]["d"]
    assert spec["targets"] == ["label"] and spec["task"] == "classification" and spec["split"]["seed"] == 1
    bad = {**dataset, "sources": [{"table": "a", "label": "yes"}]}
    with pytest.raises(InputError, match=r"datasets\.d\.sources\.0\.label: 'yes' is not valid"):
        validate(config_with(bad), schema, "c.yaml")
    no_test = {**dataset, "split": {"valid": 0.1}}
    with pytest.raises(InputError, match=r"datasets\.d\.split: 'test' is a required property"):
        validate(config_with(no_test), schema, "c.yaml")
    both = {**dataset, "test_sources": [{"table": "b", "label": 0}]}
    with pytest.raises(InputError, match=r"datasets\.d\.split: .* should not be valid"):
        validate(config_with(both), schema, "c.yaml")


def test_latin1_header_and_truncated_gzip_are_errors_naming_the_line(tmp_path):
    path = tmp_path / "a.fa"
    path.write_bytes(b">s1\nACGT\n>caf\xe9 s2\nACGT\n")
    with pytest.raises(InputError, match=r"a\.fa:3: byte 0xe9 at column 5 is not UTF-8 text \(a binary file, "
                                         r"or another encoding such as Latin-1: convert it with iconv .*\)"):
        list(read_fasta(path))
    with gzip.open(path, "wt") as out:
        out.writelines(f">s{i}\nACGTACGT\n" for i in range(5000))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"a\.fa:\d+: truncated gzip file .*: download it again"):
        list(read_fasta(path))
