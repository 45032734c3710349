"""A reference panel's genotypes read where they are needed, and r² from them."""

import gzip

import numpy as np
import pytest

from cisflow.io.errors import InputError
from cisflow.io.panel import MISSING, indexed, r_squared, read_panel

HEADER = ("##fileformat=VCFv4.2\n##contig=<ID=1,length=100000>\n##contig=<ID=2,length=100000>\n"
          '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')


def panel_vcf(path, records, n_samples=6):
    """A panel VCF of ``records`` ((chrom, pos, id, ref, alt, [GT, ...]), one GT a sample)."""
    columns = "\t".join(f"s{i}" for i in range(n_samples))
    lines = [f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{columns}"]
    lines += ["\t".join([chrom, str(pos), name, ref, alt, ".", "PASS", ".", "GT", *calls])
              for chrom, pos, name, ref, alt, calls in records]
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


RECORDS = [
    ("1", 100, "a", "A", "G", ["0|0", "0|1", "1|1", "0|0", "0/1", "1|0"]),
    ("1", 200, "b", "C", "T", ["0|0", "0|1", "1|1", "0|0", "0|1", "./."]),   # a's copy, one call missing
    ("1", 300, "multi", "C", "T,G", ["0|1"] * 6),                             # multi-allelic: left out
    ("1", 400, "del", "CA", "C", ["0|1"] * 6),                                # not an SNV: left out
    ("1", 5000, "far", "G", "A", ["1|1", "0|0", "0|0", "1|1", "0|1", "0|1"]),
    ("2", 150, "c", "T", "C", ["0|1", "0|1", "0|0", "1|1", "0|0", "0|0"]),
]


def test_dosages_of_biallelic_snvs_inside_the_windows_named_as_the_genome_names_them(tmp_path):
    path = panel_vcf(tmp_path / "panel.vcf", RECORDS)
    genotypes = read_panel(path, {"chr1": [(50, 450)], "chr2": [(1, 200)]}, ["chr1", "chr2", "chrX"])
    assert not indexed(path)
    assert list(genotypes.id) == ["a", "b", "c"] and list(genotypes.chrom) == ["chr1", "chr1", "chr2"]
    np.testing.assert_array_equal(genotypes.dosage[0], [0, 1, 2, 0, 1, 1])
    assert genotypes.dosage[1, 5] == MISSING and genotypes.dosage[1, :5].tolist() == [0, 1, 2, 0, 1]
    assert genotypes.dosage.dtype == np.uint8  # a byte a call: a 2,500-sample window stays small
    assert len(read_panel(path, {"chr1": [(4000, 6000)]}, ["chr1"])) == 1
    assert len(read_panel(path, {"chr3": [(1, 10**6)]}, ["chr1", "chr3"])) == 0


def test_an_indexed_panel_is_read_by_region_and_gives_the_same(tmp_path):
    pysam = pytest.importorskip("pysam")
    plain = panel_vcf(tmp_path / "panel.vcf", RECORDS)
    packed = tmp_path / "panel.vcf.gz"
    pysam.tabix_compress(str(plain), str(packed))
    pysam.tabix_index(str(packed), preset="vcf")
    assert indexed(packed)
    windows = {"chr1": [(50, 250), (150, 4500)], "chr2": [(100, 200)]}
    by_region, streamed = read_panel(packed, windows, ["chr1", "chr2"]), read_panel(plain, windows, ["chr1", "chr2"])
    assert list(by_region.id) == list(streamed.id) == ["a", "b", "c"]
    np.testing.assert_array_equal(by_region.dosage, streamed.dosage)


def test_r_squared_by_hand_and_missing_calls_left_out_of_their_pair():
    lead = np.array([0, 1, 2, 0, 1, 1], np.float32)
    rows = np.array([[0, 1, 2, 0, 1, np.nan], [2, 1, 0, 2, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 1, 0, 2, 2]], np.float32)
    r2 = r_squared(rows, lead)
    assert r2[0] == pytest.approx(1.0) and r2[1] == pytest.approx(1.0)  # copies, and the mirror image
    assert np.isnan(r2[2])  # does not vary
    assert r2[3] == pytest.approx(np.corrcoef(rows[3], lead)[0, 1] ** 2)
    as_bytes = np.where(np.isnan(rows), MISSING, rows).astype(np.uint8)
    np.testing.assert_array_equal(r_squared(as_bytes, lead.astype(np.uint8)), r2)


def test_a_panel_without_samples_is_refused(tmp_path):
    path = tmp_path / "sites.vcf"
    path.write_text(HEADER.replace("##FORMAT", "##INFO") + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                    "1\t100\ta\tA\tG\t.\tPASS\t.\n")
    with pytest.raises(InputError, match="no samples"):
        read_panel(path, {"chr1": [(1, 1000)]}, ["chr1"])


@pytest.mark.parametrize("bad, problem", [
    (("1", 250, "short", "A", "G", ["0|1"] * 5), "htslib cannot read the record"),  # a sample's call missing
    (("1", 250, "gt", "A", "G", ["0|1"] * 5 + ["x|y"]), "htslib cannot read the record"),
])
def test_a_record_htslib_refuses_is_named_by_its_line(tmp_path, bad, problem):
    path = panel_vcf(tmp_path / "panel.vcf", [*RECORDS[:2], bad, *RECORDS[2:]])
    with pytest.raises(InputError, match=rf"^{path}:8: {problem}"):  # 4 meta lines, the header, 2 records
        read_panel(path, {"chr1": [(1, 10_000)]}, ["chr1", "chr2"])


def test_a_truncated_panel_is_named_by_the_line_where_it_stops(tmp_path):
    text = panel_vcf(tmp_path / "panel.vcf", RECORDS * 300).read_text()
    whole = gzip.compress(text.encode())
    path = tmp_path / "panel.vcf.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=rf"^{path}:\d+: truncated gzip file"):
        read_panel(path, {"chr1": [(1, 10_000)]}, ["chr1", "chr2"])
    path.write_bytes(whole[:40])  # cut inside the header
    with pytest.raises(InputError, match=rf"^{path}:\d+: truncated gzip file"):
        read_panel(path, {"chr1": [(1, 10_000)]}, ["chr1", "chr2"])
