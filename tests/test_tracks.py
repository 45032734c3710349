"""Genome browser tracks (cisflow.tracks): the windows, the values read back from the bigWig and bigBed files
equal to what the model computes, contigs and lengths as the genome's .fai has them, the hub and the IGV session
parsed, the bound on windows, and the workflow planning the tracks of the demo."""

import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pandas as pd
import pybigtools
import pytest
import torch

from cisflow.config.settings import Tracks
from cisflow.encode import encode
from cisflow.interpret.attribution import saliency
from cisflow.io.errors import ConfigError, InputError
from cisflow.io.genome import contig_sizes, prepare_genome
from cisflow.models.checkpoint import load_model, save_model
from cisflow.models.ensemble import save_ensemble
from cisflow.models.predict import predict
from cisflow.models.registry import build_for_dataset
from cisflow.tracks.bigbed import AUTOSQL, FIELDS
from cisflow.tracks.hub import track_names
from cisflow.tracks.regions import check_window_count, held_out_regions, loci_regions, tile, window_starts
from cisflow.tracks.tracks import OUTPUTS, file_stems, write_tracks
from tests.conftest import write_fasta
from tests.workflow_helpers import demo_config, snakemake, write_config

SEQ_LEN = 64
TARGETS = ["HeLa S3", "B"]  # a name with a space: files and fields cannot hold it as it is
ATTRS = {"task": "classification", "targets": TARGETS, "seq_len": SEQ_LEN, "source": "peaks"}
PARAMS = {"conv": [{"filters": 8, "width": 7, "pool": 2}], "dense": [8]}
# an unkind genome: names without chr, a contig shorter than a window, the mitochondrion
CONTIGS = {"1": 1000, "2": 40, "MT": 300}


@pytest.fixture
def genome(tmp_path):
    rng = np.random.default_rng(3)
    records = {name: "".join(rng.choice(list("ACGT"), size)) for name, size in CONTIGS.items()}
    records["1"] = "N" * 30 + records["1"][30:]
    fasta = tmp_path / "genome" / "unkind.fa"
    fasta.parent.mkdir()
    prepare_genome(write_fasta(tmp_path / "source.fa", records), fasta)
    return fasta, records


@pytest.fixture
def model_path(tmp_path):
    """An ensemble of two members of random weights, trained (as it were) on both strands."""
    paths = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        model = build_for_dataset("basset", ATTRS, PARAMS)
        path = tmp_path / f"member{seed}.pt"
        save_model(path, model, "basset", PARAMS, ATTRS, training={"reverse_complement": True},
                   member={"name": f"seed{seed}", "seed": seed, "fold": None})
        paths.append(path)
    save_ensemble(tmp_path / "model.pt", paths, ["seed1", "seed2"])
    return tmp_path / "model.pt"


@pytest.fixture
def variant_table(tmp_path):
    """A ranked table as the variants rule writes it: scored alleles of either sign, an indel without an id, an
    unscored allele, and alleles that cannot be placed (a contig the genome lacks, past a contig's end)."""
    table = pd.DataFrame({
        "rank": [1, 2, 3, None, None, None], "id": ["rs1", "rs2", ".", "rs4", "rs5", "rs6"],
        "chrom": ["1", "1", "MT", "1", "chrUn", "2"], "pos": [500, 100, 10, 700, 5, 45],
        "ref": ["A", "C", "AC", "G", "A", "A"], "alt": ["G", "T", "A", "A", "C", "C"],
        "status": ["scored", "scored", "scored", "ref_mismatch", "contig_missing", "near_contig_end"],
        "score": [4.0, 2.0, 1.0, None, None, None], "top_target": ["HeLa S3", "B", "B", None, None, None],
        "top_effect": [0.7, -0.3, 0.1, None, None, None], "top_z": [4.0, -2.0, 1.0, None, None, None]})
    path = tmp_path / "demo.tsv.gz"
    table.to_csv(path, sep="\t", index=False)
    return path


def outputs_in(folder):
    return {"hub": folder / "hub.txt", "genomes": folder / "genomes.txt", "trackdb": folder / "trackDb.txt",
            "session": folder / "igv_session.xml", "data": folder / "data"}


def padded_window(records, chrom, start):
    """The window of SEQ_LEN bases from ``start``, N beyond the contig: built by hand, not by the library."""
    text = "N" * SEQ_LEN + records[chrom] + "N" * SEQ_LEN
    return text[start + SEQ_LEN : start + 2 * SEQ_LEN]


def stanzas(path):
    """The stanzas of a hub file: blank-line separated, each line a key and its value."""
    blocks = [block for block in path.read_text().split("\n\n") if block.strip()]
    return [dict(line.split(" ", 1) for line in block.strip().splitlines()) for block in blocks]


def test_regions_are_tiled_at_the_stride_with_windows_centred_on_the_tiles():
    regions = held_out_regions(["2", "1"], CONTIGS)
    assert regions.values.tolist() == [["1", 0, 1000], ["2", 0, 40]]
    tiles = tile(regions, 16)
    assert len(tiles) == 63 + 3
    assert tiles.starts[:2].tolist() == [0, 16] and tiles.ends[62] == 1000 and tiles.starts[62] == 992
    assert tiles.chroms[-3:].tolist() == ["2"] * 3 and tiles.starts[-3:].tolist() == [0, 16, 32]
    assert tiles.ends[-3:].tolist() == [16, 32, 40]
    assert window_starts(tiles, SEQ_LEN)[[0, 62, 65]].tolist() == [8 - 32, 996 - 32, 36 - 32]
    with pytest.raises(ConfigError, match=r"^tracks\.regions: held-out chromosome\(s\) chr9 "):
        held_out_regions(["chr9"], CONTIGS)


def test_loci_of_a_bed_are_named_as_the_genome_names_them_cut_and_merged(tmp_path, caplog):
    bed = tmp_path / "loci.bed"
    bed.write_text("track name=loci\nchr1\t100\t200\tx\nchr1\t150\t300\nchrMT\t250\t400\nchrUn\t1\t5\n"
                   "chr1\t300\t320\n")
    regions = loci_regions(bed, CONTIGS, "genome.fa")
    assert regions.values.tolist() == [["1", 100, 320], ["MT", 250, 300]]
    assert "1 of 5 loci are on contigs the genome genome.fa lacks (chrUn)" in caplog.text
    bed.write_text("chr2\t50\t60\n")
    with pytest.raises(InputError, match=r"loci\.bed: 1 loci start past their contig's end \(2:50; 2 has 40 bases"):
        loci_regions(bed, CONTIGS, "genome.fa")


def test_more_windows_than_the_bound_are_refused_naming_the_key_before_any_prediction(genome, tmp_path):
    regions = held_out_regions(["1"], CONTIGS)
    assert check_window_count(regions, 10, 100, "experiments.e.tracks") == 100
    with pytest.raises(ConfigError, match=r"^experiments\.e\.tracks\.max_windows: 1,000 bases of regions at stride 9 "
                                          r"are 112 windows, more than max_windows \(100\)"):
        check_window_count(regions, 9, 100, "experiments.e.tracks")
    fasta, _ = genome
    tracks = Tracks.from_mapping({"stride": 9, "max_windows": 100})
    with pytest.raises(ConfigError, match=r"^experiments\.e\.tracks\.max_windows: "):  # the model is never read
        write_tracks(tmp_path / "no_model.pt", fasta, tracks, outputs_in(tmp_path / "out"), "unkind", "e",
                     held_out=["1"])


def test_contributions_of_another_output_or_a_stride_past_the_window_are_refused(genome, model_path, tmp_path):
    fasta, _ = genome
    for settings, key in (({"contribution_target": "K562"}, "contribution_target"), ({"stride": 65}, "stride")):
        with pytest.raises(ConfigError, match=rf"^experiments\.e\.tracks\.{key}: "):
            write_tracks(model_path, fasta, Tracks.from_mapping(settings), outputs_in(tmp_path / "out"), "unkind", "e",
                         held_out=["2"])


def test_tracks_read_back_equal_to_what_the_model_computes(genome, model_path, variant_table, tmp_path):
    fasta, records = genome
    out = outputs_in(tmp_path / "results" / "tracks" / "e")
    tracks = Tracks.from_mapping({"stride": 16, "contribution_target": "B"})
    summary = write_tracks(model_path, fasta, tracks, out, "unkind", "e", held_out=["2", "1"],
                           variant_tables={"demo": variant_table})
    assert summary["windows"] == 66 and summary["bases"] == 1040
    stems = file_stems(TARGETS)
    assert stems == ["HeLa_S3", "B"]
    names = sorted(path.name for path in out["data"].iterdir())
    assert names == ["contributions.B.bw", "predictions.B.bw", "predictions.HeLa_S3.bw", "variants.demo.bb"]
    model, _ = load_model(model_path)
    tiles = tile(held_out_regions(["1", "2"], CONTIGS), 16)
    starts = window_starts(tiles, SEQ_LEN)
    codes = np.stack([encode(padded_window(records, chrom, start)) for chrom, start in zip(tiles.chroms, starts)])
    expected = predict(model, codes, "classification", both_strands=True)
    contributions = saliency(model, codes, TARGETS.index("B"))
    fai = contig_sizes(fasta)
    for column, stem in enumerate(stems):
        reader = pybigtools.open(str(out["data"] / f"predictions.{stem}.bw"))
        assert reader.chroms() == {"1": fai["1"], "2": fai["2"]}
        read = [(chrom, *record) for chrom in ("1", "2") for record in reader.records(chrom)]
        assert [(chrom, start, end) for chrom, start, end, _ in read] == list(
            zip(tiles.chroms.tolist(), tiles.starts.tolist(), tiles.ends.tolist()))
        np.testing.assert_allclose([value for *_, value in read], expected[:, column], rtol=1e-6, atol=1e-7)
    reader = pybigtools.open(str(out["data"] / "contributions.B.bw"))
    assert reader.chroms() == {"1": fai["1"], "2": fai["2"]}
    for chrom in ("1", "2"):
        values = reader.values(chrom, 0, fai[chrom], fillna=None)
        for i in np.flatnonzero(tiles.chroms == chrom):
            inside = contributions[i, tiles.starts[i] - starts[i] : tiles.ends[i] - starts[i]]
            np.testing.assert_allclose(values[tiles.starts[i] : tiles.ends[i]], inside, rtol=1e-5, atol=1e-7)
    assert not np.isnan(reader.values("1", 0, fai["1"], fillna=None)).any()  # every base of the regions has a value


def test_a_variant_set_reads_back_from_its_bigbed_with_named_fields(genome, model_path, variant_table, tmp_path):
    fasta, _ = genome
    out = outputs_in(tmp_path / "t")
    write_tracks(model_path, fasta, Tracks.from_mapping({"stride": 64, "contributions": False}), out, "unkind", "e",
                 held_out=["2"], variant_tables={"demo": variant_table})
    reader = pybigtools.open(str(out["data"] / "variants.demo.bb"))
    fai = contig_sizes(fasta)
    assert reader.chroms() == {"1": fai["1"], "MT": fai["MT"]}  # the contigs it has items on
    schema = reader.sql(parse=True)
    assert [field[0] for field in schema["fields"]] == ["chrom", "chromStart", "chromEnd", *FIELDS]
    assert reader.sql().split() == AUTOSQL.split()
    items = [(chrom, *record) for chrom in ("1", "MT") for record in reader.records(chrom)]
    assert [item[:5] for item in items] == [("1", 99, 100, "rs2", "500"), ("1", 499, 500, "rs1", "1000"),
                                            ("1", 699, 700, "rs4", "0"), ("MT", 9, 11, "MT:10:AC:A", "250")]
    fields = [dict(zip(FIELDS, item[3:])) for item in items]
    assert [field["reserved"] for field in fields] == ["30,60,200", "200,30,30", "150,150,150", "200,30,30"]
    assert [field["status"] for field in fields] == ["scored", "scored", "ref_mismatch", "scored"]
    assert [field["topOutput"] for field in fields] == ["B", "HeLa_S3", ".", "B"]
    assert [field["z"] for field in fields] == ["-2", "4", "nan", "1"]
    assert [(field["ref"], field["alt"], field["rankScore"], field["topEffect"]) for field in fields][3] == (
        "AC", "A", "1", "0.1")


def test_the_hub_and_the_igv_session_open_every_track(genome, model_path, variant_table, tmp_path):
    fasta, _ = genome
    out = outputs_in(tmp_path / "results" / "tracks" / "e")
    write_tracks(model_path, fasta, Tracks.from_mapping({"stride": 32}), out, "hg19", "e", held_out=["1"],
                 variant_tables={"demo": variant_table})
    files = sorted(out["data"].iterdir())
    (hub,) = stanzas(out["hub"])
    assert set(hub) == {"hub", "shortLabel", "longLabel", "genomesFile", "email"}
    assert out["hub"].parent / hub["genomesFile"] == out["genomes"]
    (genomes,) = stanzas(out["genomes"])
    assert genomes == {"genome": "hg19", "trackDb": "trackDb.txt"}
    entries = stanzas(out["trackdb"])
    assert all({"track", "bigDataUrl", "shortLabel", "longLabel", "type"} <= set(entry) for entry in entries)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", entry["track"]) for entry in entries)
    assert len({entry["track"] for entry in entries}) == len(entries)
    assert all(len(entry["shortLabel"]) <= 17 and len(entry["longLabel"]) <= 80 for entry in entries)
    assert sorted(out["trackdb"].parent / entry["bigDataUrl"] for entry in entries) == files
    assert {entry["type"] for entry in entries} == {"bigWig", "bigBed 9 +"}
    session = ElementTree.parse(out["session"]).getroot()
    assert session.tag == "Session" and session.get("locus") == "1:1-1000"
    assert (out["session"].parent / session.get("genome")).resolve() == fasta.resolve()
    paths = [out["session"].parent / resource.get("path") for resource in session.iter("Resource")]
    assert sorted(paths) == files


def test_track_names_and_file_stems_are_unique_and_safe():
    assert track_names(["predictions_HeLa S3", "predictions_HeLa_S3", "1x", "predictions_HeLa S3"]) == [
        "predictions_HeLa_S3", "predictions_HeLa_S3_2", "t1x", "predictions_HeLa_S3_3"]
    assert file_stems(["a/b", "a b", ".hidden", ""]) == ["a_b", "a_b_2", "hidden", "output"]


def test_the_demo_plans_its_tracks_and_the_report_links_them(tmp_path):
    result = snakemake(tmp_path, write_config(tmp_path, demo_config()), "-n", timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    jobs, current = {}, None
    for line in result.stdout.splitlines():
        if line.startswith("rule ") and line.endswith(":"):
            current = line[5:-1]
        elif current and line.startswith(("    input: ", "    output: ")):
            role, _, paths = line.strip().partition(": ")
            jobs.setdefault(current, {})[role] = paths.split(", ")
    assert jobs["tracks"]["output"] == [f"results/tracks/peaks_basset/{name}" for name in (
        "hub.txt", "genomes.txt", "trackDb.txt", "igv_session.xml", "data")]
    assert len(OUTPUTS) == len(jobs["tracks"]["output"])
    assert {"results/variants/peaks_basset/demo_gwas.tsv.gz", "results/models/peaks_basset/model.pt",
            "resources/genome/demo.fa.fai"} <= set(jobs["tracks"]["input"])
    assert {"results/tracks/peaks_basset/hub.txt", "results/tracks/peaks_basset/igv_session.xml"} <= set(
        jobs["report"]["input"])
    assert not any(path.startswith("results/tracks/activity_cnn") for path in jobs["report"]["input"])
