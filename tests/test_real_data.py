"""Real public data from ../shared/data (see each SOURCE.md); skipped where it is absent."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from cisflow.build_dataset import from_table
from cisflow.config import validate
from cisflow.contigs import rename_contigs
from cisflow.dataset import load_dataset
from cisflow.encode import decode
from cisflow.genome import contig_sizes, prepare_fasta
from cisflow.peaks import read_peaks
from cisflow.sequences import extract_regions
from tests.workflow_helpers import ROOT

DATA = ROOT.parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not here")


def study_dataset(config_name, dataset):
    config = validate(yaml.safe_load((ROOT / "config" / config_name).read_text()),
                      ROOT / "schemas" / "config.schema.yaml", config_name)
    return config["datasets"][dataset]


@needs_data
def test_cuperus_native_utrs_are_left_padded_to_50(tmp_path):
    spec = study_dataset("cuperus2017.yaml", "native")
    attrs = from_table(DATA / "cuperus2017_yeast_utr" / "Native_UTRs.csv.gz", spec, tmp_path / "ds")
    data = load_dataset(tmp_path / "ds")
    assert attrs["n"] == 11_856 and attrs["seq_len"] == 50
    row = data.ids.index("YAL001C:38:0")  # 38 nt in the file: 12 N of padding on the left
    assert decode(data.codes[row]) == "N" * 12 + "AGAGGACGTTTGGTTGAAGCCAACTAGCCACAAGAAAA"
    assert data.targets[row, 0] == pytest.approx(0.298692484478)


@needs_data
def test_dream_training_rows_follow_the_camformers_rules(tmp_path):
    spec = study_dataset("dream2022.yaml", "dream")
    source = DATA / "dream2022_yeast_promoters" / "train_demo_deboer_6370.txt"
    lengths = np.array([len(line.split("\t")[0]) for line in source.read_text().splitlines()])
    attrs = from_table(source, spec, tmp_path / "ds")
    assert attrs["counts"]["rows"] == 6_370
    assert attrs["counts"]["outside_length_range"] == int((np.abs(lengths - 110) > 3).sum()) > 0
    assert attrs["n"] == attrs["counts"]["kept"] and attrs["seq_len"] == 110
    data = load_dataset(tmp_path / "ds")
    short = int(np.flatnonzero(np.abs(lengths - 110) <= 3)[np.argmin(lengths[np.abs(lengths - 110) <= 3])])
    assert decode(data.codes[data.ids.index(f"row{short + 1}")]).endswith("N" * (110 - lengths[short]))


@needs_data
def test_primer_files_pasted_side_by_side_train_to_the_published_accuracy(tmp_path):
    from cisflow.evaluate import evaluate
    from cisflow.train import train

    config = validate(yaml.safe_load((ROOT / "config" / "primer.yaml").read_text()),
                      ROOT / "schemas" / "config.schema.yaml", "primer.yaml")
    primer = DATA / "primer_zou2018"
    attrs = from_table([primer / "sequences.txt", primer / "labels.txt"], config["datasets"]["primer"],
                       tmp_path / "ds")
    assert attrs["n"] == 2_000 and attrs["task"] == "classification" and attrs["split_sizes"]["test"] == 500
    experiment = config["experiments"]["primer_cnn"]
    train(tmp_path / "ds", "primer", experiment["model"]["params"], {**experiment["training"], "epochs": 20},
          tmp_path / "m.pt", tmp_path / "h.tsv", tmp_path / "r.pt")
    result = evaluate(tmp_path / "m.pt", tmp_path / "ds", tmp_path / "m.json", tmp_path / "p.tsv.gz",
                      tmp_path / "p.png")
    assert result["accuracy"] >= 0.95  # published: 0.98 (490 of 500)


@needs_data
def test_gata4_locus_extraction_with_ensembl_contig_names(tmp_path):
    """hg19 chr8:11,496,144-11,627,216 (Basenji's GATA4 piece) placed at its real coordinates."""
    piece = "".join((DATA / "hg19_genomic_examples" / "basenji" / "gata4.fa").read_text().splitlines()[1:])
    offset = 11_496_144
    with open(tmp_path / "chr8.fa", "w") as out:
        out.write(">chr8\n")
        sequence = "N" * offset + piece
        out.writelines(sequence[i : i + 60] + "\n" for i in range(0, len(sequence), 60))
    prepare_fasta(tmp_path / "chr8.fa", tmp_path / "hg19_piece.fa")
    assert contig_sizes(tmp_path / "hg19_piece.fa") == {"chr8": offset + 131_072}
    bed = pd.DataFrame({"chrom": ["8", "8"], "start": [offset + 1000, offset + 65_000],
                        "end": [offset + 1600, offset + 65_600]})
    regions = rename_contigs(bed, ["chr8"], source="gata4 windows")
    codes = extract_regions(regions, tmp_path / "hg19_piece.fa")
    assert [decode(c) for c in codes] == [piece[1000:1600], piece[65_000:65_600]]
    counts = {base: piece.count(base) for base in "ACGT"}
    assert counts == {"A": 34_957, "C": 30_460, "G": 31_491, "T": 34_164}  # as SOURCE.md records


@needs_data
def test_encode_blacklist_and_selene_peaks_parse():
    blacklist = read_peaks(DATA / "hg19_genomic_examples" / "selene" / "hg19_blacklist_ENCFF001TDO.bed.gz")
    assert len(blacklist) == 411
    peaks = read_peaks(DATA / "hg19_genomic_examples" / "selene" / "sorted_aggregate.bed.gz")
    assert len(peaks) == 599_360 and set(peaks["chrom"]) == {"1", "10"}
    assert set(rename_contigs(peaks.head(1000), ["chr1", "chr10"])["chrom"]) == {"chr1"}


def test_study_configs_validate():
    for path in sorted((ROOT / "config").glob("*.yaml")):
        validate(yaml.safe_load(path.read_text()), ROOT / "schemas" / "config.schema.yaml", path.name)


def test_basset_samples_sheet_lists_164_public_files():
    sheet = pd.read_csv(ROOT / "config" / "basset_samples.tsv", sep="\t")
    assert len(sheet) == 164 and sheet["sample"].is_unique
    assert sheet["url"].str.startswith("https://").all()


STUDIES = ["basset.yaml", "deepbind.yaml", "dream2022.yaml", "cuperus2017.yaml", "xpresso.yaml", "primer.yaml"]


@pytest.mark.parametrize("study", STUDIES)
def test_study_workflows_plan_every_stage(study):
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--configfile",
                             f"config/{study}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    planned = result.stdout + result.stderr
    assert result.returncode == 0, planned
    for rule in ("download", "dataset", "train", "evaluate", "interpret", "report"):
        assert re.search(rf"^{rule}\s+\d+$", planned, re.M), planned
    if study == "basset.yaml":
        assert re.search(r"^download\s+167$", planned, re.M)  # 164 peak files, genome, blacklist, VCF
