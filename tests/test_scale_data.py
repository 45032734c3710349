"""bench/scale_data.py at a tiny scale: every file it writes reads back through cisflow's own readers."""

import gzip
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench.scale_data import LINE_WIDTH, STEPS, contig_sizes, generate, main
from cisflow.config.samples import read_samples
from cisflow.config.schema import validate
from cisflow.encode import decode
from cisflow.io.genome import contig_codes, prepare_genome
from cisflow.io.genome import contig_sizes as genome_sizes
from cisflow.io.peaks import read_peaks
from cisflow.io.vcf import read_vcf

ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.0005


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    return out, generate(out, scale=SCALE, samples=6, seed=3, log=lambda line: None)


def test_genome_has_hg19s_contigs_scaled_at_60_bases_a_line(case, tmp_path):
    out, counts = case
    with gzip.open(out / "hg19.fa.gz", "rb") as handle:
        text = handle.read()
    lines = [line for line in text.split(b"\n") if not line.startswith(b">")]
    assert max(len(line) for line in lines) == LINE_WIDTH
    prepare_genome(out / "hg19.fa.gz", tmp_path / "hg19.fa")
    sizes = genome_sizes(tmp_path / "hg19.fa")
    assert sizes == contig_sizes(SCALE)
    assert list(sizes)[:2] == ["chr1", "chr2"] and len(sizes) == 24
    bases = np.frombuffer(b"".join(lines), np.uint8)
    assert np.count_nonzero(bases == ord("N")) == counts["n_bases"] > 0
    lower = np.isin(bases, np.frombuffer(b"acgt", np.uint8)).mean()
    assert 0.3 < lower < 0.7  # soft-masked stretches, about half


def test_peaks_and_samples_sheet_parse(case):
    out, counts = case
    rows = read_samples(out / "samples.tsv", ROOT / "cisflow/schemas/samples.schema.yaml")
    expected = [line.split("\t")[0] for line in open(ROOT / "config/basset_samples.tsv")][1:7]
    assert [row["sample"] for row in rows] == expected
    sizes = contig_sizes(SCALE)
    total = 0
    for row in rows:
        peaks = read_peaks(row["url"])
        assert (peaks["start"] <= peaks["summit"]).all() and (peaks["summit"] < peaks["end"]).all()
        assert (peaks["end"] <= peaks["chrom"].map(sizes)).all()
        total += len(peaks)
    assert total == counts["peaks"]
    assert len(read_peaks(out / "blacklist.bed.gz", "bed")) >= 1


def test_vcf_ref_is_the_genomes_base(case, tmp_path):
    out, counts = case
    variants = read_vcf(out / "variants.vcf.gz")
    assert len(variants) == counts["snps"] == round(200_000 * SCALE)
    assert (variants["ref"] != variants["alt"]).all()
    prepare_genome(out / "hg19.fa.gz", tmp_path / "hg19.fa")
    for chrom, group in variants.groupby("chrom"):
        bases = decode(contig_codes(tmp_path / "hg19.fa", chrom))
        assert [bases[pos - 1] for pos in group["pos"]] == group["ref"].tolist()
        assert group["pos"].is_monotonic_increasing and group["pos"].is_unique


def test_config_is_valid_and_names_the_files(case):
    out, _ = case
    config = yaml.safe_load(open(out / "config.yaml"))
    validate(config, ROOT / "cisflow/schemas/config.schema.yaml", "config.yaml")
    assert Path(config["genome"]["url"]) == out / "hg19.fa.gz"
    assert Path(config["samples"]) == out / "samples.tsv"
    assert Path(config["variants"]["simulated_snps"]["vcf"]["url"]).is_file()
    training = config["experiments"]["basset"]["training"]
    assert training["epochs"] == 1 and training["max_steps_per_epoch"] == STEPS


def test_one_seed_gives_the_same_bytes(case, tmp_path):
    out, _ = case
    generate(tmp_path, scale=SCALE, samples=6, seed=3, log=lambda line: None)
    for name in ("hg19.fa.gz", "variants.vcf.gz", "blacklist.bed.gz", "peaks/CLL.narrowPeak.gz"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_help_and_bad_scale(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "--scale" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["somewhere", "--scale", "2"])
