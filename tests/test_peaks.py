import gzip
import re

import numpy as np
import pandas as pd
import pytest

from cisflow.io.errors import InputError
from cisflow.io.peaks import _peaks_by_column, _peaks_by_line, read_peaks


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
        ("chr1\t10\t20\tp\t0\t.\t1\t1\t1\t-5\n", r"peaks.bed:1: summit offset -5 is negative \(-1, for no summit, "
                                                 r"is the only negative one\)$"),
        ("chr1\t10\t20\nchr1\t1_000\t2000\n", r"peaks.bed:2: start '1_000' is not an integer$"),
        ("chr1\t+5\t20\n", r"peaks.bed:1: start '\+5' is not an integer$"),
        ("chr1\t 5\t20\n", r"peaks.bed:1: start ' 5' is not an integer$"),
        ("chr1\t5\t2\u0663\n", r"peaks.bed:1: end '2\u0663' is not an integer$"),
        ("chr1\t10\t20\tp\t0\t.\t1\t1\t1\t1_0\n", r"peaks.bed:1: summit offset \(column 10\) '1_0' is not an integer"),
        ("chr1\t10\t99999999999999999999\n", r"peaks.bed:1: end 99999999999999999999 is too large for a genome "
                                            r"coordinate \(2\^63 or more\)$"),
    ],
)
def test_bad_peak_files(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_peaks(write(tmp_path, text))


BED12 = "chr1\t100\t300\tp1\t0\t+\t100\t300\t0\t2\t10,20,\t0,180,\n"
GAPPED = "chr1\t100\t300\tp1\t0\t+\t100\t300\t0\t2\t10,20\t0,180\t5.1\t3.2\t2.0\n"
BROAD = "chr1\t100\t300\tp1\t0\t.\t5.1\t3.2\t2.0\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("chr1\t10\t20\n" + BED12,
         r"peaks.bed:2: 12 columns \(BED12: blockCount, blockSizes and blockStarts in columns 10-12\), not "
         r"narrowPeak, whose column 10 is the summit; set peak_format to bed12 for this sample in the samples sheet "
         r"\(its peaks are then read at their midpoints\)$"),
        (GAPPED, r"peaks.bed:1: 15 columns \(gappedPeak: BED12's blocks, then signalValue, pValue and qValue\), not "
                 r"narrowPeak, whose column 10 is the summit; set peak_format to gappedPeak "),
        (BROAD, r"peaks.bed:1: 9 columns \(as broadPeak has\), not narrowPeak, .* set peak_format to broadPeak "),
        ("chr1\t100\t300\tp1\t0\t+\t1\t2\n",
         r"peaks.bed:1: 8 columns: neither BED3-6 nor narrowPeak \(10 columns, the 10th the summit\); set peak_format "
         r"for this sample in the samples sheet \(bed, narrowPeak, broadPeak, bed12, gappedPeak; all but narrowPeak "
         r"are read at their midpoints\)$"),
    ],
)
def test_layouts_other_than_bed3_6_and_narrowpeak_need_a_peak_format(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_peaks(write(tmp_path, text))


@pytest.mark.parametrize("text, peak_format", [(BED12, "bed12"), (GAPPED, "gappedPeak"), (BROAD, "broadPeak"),
                                               (BED12, "bed")])
def test_peak_format_reads_other_layouts_at_their_midpoints(tmp_path, text, peak_format):
    assert read_peaks(write(tmp_path, text), peak_format)["summit"].tolist() == [200]


def test_peak_format_that_does_not_fit_the_file(tmp_path):
    with pytest.raises(InputError, match=r"peaks.bed:1: 12 columns, but peak_format narrowPeak has 10$"):
        read_peaks(write(tmp_path, BED12), "narrowPeak")
    with pytest.raises(InputError, match=r"peaks.bed:1: 10 columns, but peak_format bed12 has 12$"):
        read_peaks(write(tmp_path, "chr1\t10\t20\tp\t0\t.\t1\t1\t1\t5\n"), "bed12")
    assert read_peaks(write(tmp_path, "chr1\t10\t20\tp\t0\t.\t1\t1\t1\t5\n"), "narrowPeak")["summit"].tolist() == [15]


NARROW = ["chr1\t100\t300\tp1\t0\t.\t1\t1\t1\t50", "chr2\t400\t500\tp2\t0\t.\t1\t1\t1\t-1",
          "chrX\t007\t9\tp3\t0\t.\t1\t1\t1\t-0"]


@pytest.mark.parametrize("text, peak_format", [
    ("\n".join(NARROW) + "\n", None),
    ("track name=x\n#chrom\tstart\n\nbrowser position chr1\n" + "\n".join(NARROW), None),
    ("\ufeff" + "\r\n".join(NARROW) + "\r\n", "narrowPeak"),
    (NARROW[0] + "\n\n" + NARROW[1] + "\n", None),
    ("chr1\t10\t20\nchr1\t30\t41\n", None),
    ("chr1\t10\t20\tx\t1\t+\tmore\tcolumns\nchr1\t30\t41\ty\t2\t-\t\t\n", "bed"),
    (BED12 * 3, "bed12"),
])
def test_plain_files_are_read_by_column_as_the_line_reader_reads_them(tmp_path, text, peak_format):
    path = write(tmp_path, text)
    by_column = _peaks_by_column(path, peak_format)
    assert by_column is not None
    pd.testing.assert_frame_equal(by_column, _peaks_by_line(path, peak_format))


@pytest.mark.parametrize("text", [
    NARROW[0] + "\n# a comment between records\n" + NARROW[1] + "\n",
    "chr1\t10\t20\n" + "chr\u00e9\t30\t40\n",
    "chr1\t10\t20\rchr1\t30\t40\r",
    "chr1\tx\t20\tp\t0\t+\t1\t2\n",
])
def test_files_the_column_reader_leaves_to_the_line_reader(tmp_path, text):
    path = write(tmp_path, text)
    assert _peaks_by_column(path, None) is None
    try:
        expected = _peaks_by_line(path, None)
    except InputError as error:  # the line's first fault: its start, not its 8 columns
        with pytest.raises(InputError, match=re.escape(str(error))):
            read_peaks(path)
    else:
        pd.testing.assert_frame_equal(read_peaks(path), expected)


MUTATIONS = ["", "x", "-1", "+5", " 5", "1_0", "99999999999999999999", "\u0663", "#", "track", "5.0", "\t", "\n",
             "\r", '"', "\t\t", "-", "0"]


def test_the_column_reader_accepts_and_refuses_what_the_line_reader_does(tmp_path):
    """Random damage to one or two fields of a narrowPeak or BED file: read_peaks returns what the line
    reader returns, or raises its error (its line and message)."""
    rng = np.random.default_rng(3)
    for case in range(400):
        layout = NARROW if case % 2 else ["chr1\t10\t20", "chr2\t5\t30\tname", "chr1\t0\t1"]
        rows = [line.split("\t") for line in rng.choice(layout, size=6)]
        for _ in range(rng.integers(1, 3)):
            row = rows[rng.integers(len(rows))]
            row[rng.integers(len(row))] = str(rng.choice(MUTATIONS))
        path = write(tmp_path, "\n".join("\t".join(fields) for fields in rows) + "\n", f"case{case}.bed")
        try:
            expected = _peaks_by_line(path, None)
        except InputError as error:
            with pytest.raises(InputError) as raised:
                read_peaks(path)
            assert str(raised.value) == str(error), path.read_text()
        else:
            pd.testing.assert_frame_equal(read_peaks(path), expected)
