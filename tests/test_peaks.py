import gzip

import pytest

from cisflow.errors import InputError
from cisflow.peaks import read_peaks


def write(tmp_path, text, name="peaks.bed"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_narrowpeak_summit_and_bed3_midpoint(tmp_path):
    path = tmp_path / "p.narrowPeak.gz"
    with gzip.open(path, "wt") as out:
        out.write("track name=x\nchr1\t100\t300\tp1\t0\t.\t1\t1\t1\t50\nchr1\t400\t500\tp2\t0\t.\t1\t1\t1\t-1\n")
    peaks = read_peaks(path)
    assert peaks["summit"].tolist() == [150, 450]
    assert read_peaks(write(tmp_path, "chr2\t10\t20\n"))["summit"].tolist() == [15]


@pytest.mark.parametrize(
    "text, message",
    [
        ("chr1\t10\t20\nchr1\tten\t30\n", r"peaks.bed:2: start 'ten' is not an integer"),
        ("chr1\t-5\t20\n", r"peaks.bed:1: start -5 is negative"),
        ("chr1\t30\t20\n", r"peaks.bed:1: start 30 is not before end 20"),
        ("chr1\t30\n", r"peaks.bed:1: expected at least 3 tab-separated columns, found 2"),
        ("chr1\t10\t20\tp\t0\t.\t1\t1\t1\t15\n", r"peaks.bed:1: summit offset 15 lies beyond"),
        ("", r"peaks.bed: no peaks in the file"),
    ],
)
def test_bad_peak_files(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_peaks(write(tmp_path, text))
