import numpy as np
import pytest
import torch

from cisflow import encode
from cisflow.models.predict import one_hot


def test_codes_and_soft_masking():
    assert encode.encode("ACGTNacgtn").tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]


def test_bad_character_named_with_position():
    with pytest.raises(ValueError, match=r"'R' at position 3"):
        encode.encode("ACRT")


@pytest.mark.parametrize(
    "pad, expected",
    [("right", ["ACGNN", "ACGTA"]), ("left", ["NNACG", "GTACG"]), ("both", ["NACGN", "CGTAC"])],
)
def test_padding_and_trimming(pad, expected):
    codes = encode.encode_padded(["ACG", "ACGTACG"], 5, pad)
    assert [encode.decode(row) for row in codes] == expected


def test_reverse_complement_numpy_and_torch_agree():
    codes = encode.encode("AACGTN")
    assert encode.decode(encode.reverse_complement(codes)) == "NACGTT"
    as_torch = encode.reverse_complement(torch.from_numpy(codes[None]))  # one function for both types
    assert as_torch[0].tolist() == encode.reverse_complement(codes).tolist()


def test_one_hot_on_the_device_and_n_is_zero():
    codes = encode.encode("ACGTN")[None]
    got = one_hot(torch.from_numpy(codes)).numpy()
    np.testing.assert_array_equal(got[0, :, :4], np.eye(4))
    assert got.shape == (1, 4, 5)
    assert got[0, :, 4].sum() == 0 and got[0, 2, 2] == 1


def test_reverse_complement_of_allele_text():
    assert encode.reverse_complement_text("ACGTTn") == "nAACGT"
