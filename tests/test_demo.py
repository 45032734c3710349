"""The demo data generator: run it once, small, and check the files against the truth they claim to hold."""

import csv
import gzip

import numpy as np
import pytest

from cisflow.demo.catalog import CATALOG_TRAITS
from cisflow.demo.generate import generate, main
from cisflow.demo.genome import CONTIGS, GAP, GAP_CONTIG, TELOMERE
from cisflow.demo.motifs import PEAK_MOTIFS, SHARED_MOTIF, TABLE_WEIGHTS, load_motifs
from cisflow.demo.peaks import MIN_GAP, N_SHARED, N_SPECIFIC, SITES_PER_PEAK, SUMMIT_JITTER, WIDTH
from cisflow.demo.table import BASE_ACTIVITY, ODD_ROWS, PREFIX, SUFFIX, TABLE_ROWS
from cisflow.demo.variants import HIGH_INFO, N_DESTROYS, N_NEUTRAL

SEED, SCALE = 3, 0.2
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def read_fasta(path):
    seqs, name = {}, None
    with gzip.open(path, "rt") as handle:
        for line in handle:
            if line.startswith(">"):
                name = line[1:].strip()
                seqs[name] = []
            else:
                seqs[name].append(line.rstrip("\n"))
    return {name: "".join(lines) for name, lines in seqs.items()}


def read_tsv(path, fieldnames=None):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle, fieldnames=fieldnames, delimiter="\t"))


def read_peaks(path):
    cols = ["chrom", "start", "end", "name", "score", "strand", "signal", "p", "q", "peak"]
    rows = read_tsv(path, cols)
    for row in rows:
        row.update({k: int(row[k]) for k in ("start", "end", "score", "peak")})
        row["summit"] = row["start"] + row["peak"]
    return rows


def site_mismatches(genome, sites):
    """Sites whose recorded bases are not in the genome at the recorded place (read on their strand)."""
    bad = []
    for site in sites:
        plus = genome[site["chrom"]][int(site["start"]) : int(site["end"])].upper()
        found = plus if site["strand"] == "+" else plus.translate(COMPLEMENT)[::-1]
        if found != site["sequence"]:
            bad.append(site["peak"])
    return bad


def distance(pos, start, end):
    """bp between a 0-based position and the half-open interval [start, end); 0 inside."""
    return max(start - pos, pos - (end - 1), 0)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo")
    main([str(path), "--seed", str(SEED), "--scale", str(SCALE)])
    return path


@pytest.fixture(scope="module")
def genome(out):
    return read_fasta(out / "genome.fa.gz")


@pytest.fixture(scope="module")
def peaks(out):
    """{sample: narrowPeak rows}."""
    return {s: read_peaks(out / "peaks" / f"{s}.narrowPeak.gz") for s in PEAK_MOTIFS}


@pytest.fixture(scope="module")
def calls(peaks):
    """{peak name: [rows of every sample listing it]}."""
    by_name = {}
    for rows in peaks.values():
        for row in rows:
            by_name.setdefault(row["name"], []).append(row)
    return by_name


@pytest.fixture(scope="module")
def sites(out):
    return read_tsv(out / "motif_sites.tsv")


@pytest.fixture(scope="module")
def truth(out):
    rows = read_tsv(out / "variants_truth.tsv")
    for row in rows:
        row["pos"] = int(row["pos"])
    return rows


@pytest.fixture(scope="module")
def motifs():
    loaded = load_motifs([*PEAK_MOTIFS.values(), SHARED_MOTIF, *TABLE_WEIGHTS])
    return {motif.tf: motif for motif in loaded.values()}


def test_same_seed_gives_identical_files_and_another_seed_does_not(out, tmp_path):
    generate(tmp_path / "again", SEED, SCALE)
    generate(tmp_path / "other", SEED + 1, SCALE)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert len(files) == 15
    for name in files:
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name
    for name in ["genome.fa.gz", "variants.vcf", "activity.tsv.gz", "peaks/K562.narrowPeak.gz"]:
        assert (tmp_path / "other" / name).read_bytes() != (out / name).read_bytes(), name


def test_genome_layout_and_composition(out, genome):
    assert {c: len(s) for c, s in genome.items()} == {c: round(n * SCALE) for c, n in CONTIGS.items()}
    with gzip.open(out / "genome.fa.gz", "rt") as handle:
        lengths = [len(line) - 1 for line in handle if not line.startswith(">")]
    assert max(lengths) == 60 and sum(n < 60 for n in lengths) <= len(genome)
    for contig, seq in genome.items():
        assert set(seq[:TELOMERE]) == {"N"} and seq[TELOMERE] != "N"
    assert sum(s.count("N") for s in genome.values()) == 4 * TELOMERE + GAP
    assert "N" * GAP in genome["chr20"][TELOMERE:]
    text = "".join(s.replace("N", "") for s in genome.values())
    upper = text.upper()
    counts = {b: upper.count(b) for b in "ACGT"}
    gc = (counts["C"] + counts["G"]) / len(upper)
    cpg_ratio = upper.count("CG") / (counts["C"] * counts["G"] / len(upper))
    masked = sum(map(str.islower, text)) / len(text)
    assert 0.39 < gc < 0.43
    assert 0.15 < cpg_ratio < 0.35
    assert 0.06 < masked < 0.14


def test_peak_files_are_sorted_narrowpeaks_with_the_planned_counts(genome, peaks, calls):
    order = list(CONTIGS)
    for sample, rows in peaks.items():
        assert len(rows) == round(N_SPECIFIC * SCALE) + round(N_SHARED * SCALE)
        assert [(order.index(r["chrom"]), r["start"]) for r in rows] == sorted(
            (order.index(r["chrom"]), r["start"]) for r in rows)
        for row in rows:
            assert row["strand"] == "." and 0 <= row["score"] <= 1000
            width = row["end"] - row["start"]
            assert WIDTH[0] <= width <= WIDTH[1] and 0 < row["peak"] < width
            assert row["end"] <= len(genome[row["chrom"]])
    shared = [rows for rows in calls.values() if len(rows) == 3]
    assert len(shared) == round(N_SHARED * SCALE)
    for rows in shared:
        summits = [r["summit"] for r in rows]
        assert max(summits) - min(summits) <= 2 * SUMMIT_JITTER


def test_peaks_keep_apart_and_only_the_planned_ones_break_the_window(genome, calls):
    extents = sorted((rows[0]["chrom"], min(r["start"] for r in rows), max(r["end"] for r in rows))
                     for rows in calls.values())
    for (c1, _, end1), (c2, start2, _) in zip(extents, extents[1:]):
        assert c1 != c2 or start2 - end1 >= MIN_GAP
    near_end, in_n = [], []
    for name, rows in calls.items():
        for row in rows:
            seq = genome[row["chrom"]]
            if len(seq) - row["summit"] <= 100:
                near_end.append(name)
            elif seq[row["summit"]] == "N":
                in_n.append(name)
            else:
                assert "N" not in seq[row["summit"] - 150 : row["summit"] + 150]
    assert len(near_end) == 3 and len(set(near_end)) == 3
    assert len(in_n) == 2 and all(calls[n][0]["chrom"] == GAP_CONTIG for n in in_n)


def test_planted_sites_are_in_the_genome_near_every_summit(genome, sites, calls):
    assert site_mismatches(genome, sites) == []
    per_peak = {}
    for site in sites:
        per_peak.setdefault(site["peak"], []).append(site)
    expected_tf = {s: tf for s, tf in zip(PEAK_MOTIFS, ["GATA1::TAL1", "FOS::JUN", "CTCF"])}
    for name, rows in calls.items():
        planted = per_peak.get(name, [])
        in_n = genome[rows[0]["chrom"]][rows[0]["summit"]] == "N"
        assert (len(planted) == 0) if in_n else (1 <= len(planted) <= len(SITES_PER_PEAK)), name
        for site in planted:
            assert site["tf"] == ("SP1" if len(rows) == 3 else expected_tf[rows[0]["name"].split("_")[0]])
            for row in rows:
                assert row["summit"] - 40 <= int(site["start"]) and int(site["end"]) - 1 <= row["summit"] + 40


def test_site_check_catches_a_changed_base(genome, sites):
    site = sites[0]
    pos = int(site["start"])
    seq = genome[site["chrom"]]
    changed = {**genome, site["chrom"]: seq[:pos] + ("A" if seq[pos].upper() != "A" else "C") + seq[pos + 1 :]}
    assert site_mismatches(changed, sites) == [site["peak"]]


def test_destroying_snps_hit_a_confident_consensus_base_and_put_in_the_least_likely(genome, truth, sites, motifs):
    destroys = [v for v in truth if v["effect"] == "destroys"]
    assert len(destroys) == 4 * max(1, round(N_DESTROYS * SCALE / 4))
    assert {v["motif"] for v in destroys} == {"GATA1::TAL1", "FOS::JUN", "CTCF", "SP1"}
    hit_peaks = []
    for v in destroys:
        assert v["ref"] == genome[v["chrom"]][v["pos"] - 1].upper() and v["expected_status"] == "scored"
        pos = v["pos"] - 1
        (site,) = [s for s in sites if s["chrom"] == v["chrom"] and int(s["start"]) <= pos < int(s["end"])]
        assert sum(s["peak"] == site["peak"] for s in sites) == 1 and site["tf"] == v["motif"]
        probs = motifs[v["motif"]].probs
        if site["strand"] == "+":
            j, ref, alt = pos - int(site["start"]), v["ref"], v["alt"]
        else:
            j, ref, alt = int(site["end"]) - 1 - pos, v["ref"].translate(COMPLEMENT), v["alt"].translate(COMPLEMENT)
        column = probs[:, j]
        assert column.max() >= HIGH_INFO and "ACGT"[column.argmax()] == ref
        assert column["ACGT".index(alt)] == column.min()
        hit_peaks.append(site["peak"])
    assert len(set(hit_peaks)) == len(hit_peaks)


def test_neutral_snps_keep_clear_of_sites(genome, truth, sites, calls):
    neutral = [v for v in truth if v["effect"] == "neutral"]
    assert len(neutral) == 2 * round(N_NEUTRAL * SCALE / 2)
    inside = 0
    for v in neutral:
        pos = v["pos"] - 1
        assert v["ref"] == genome[v["chrom"]][pos].upper() and v["alt"] != v["ref"] and v["alt"] in "ACGT"
        hosts = [rows for rows in calls.values() if any(
            r["chrom"] == v["chrom"] and r["start"] <= pos < r["end"] for r in rows)]
        if hosts:
            inside += 1
            assert all(abs(pos - r["summit"]) <= 120 and r["start"] <= pos < r["end"] for r in hosts[0])
            near = [s for s in sites if s["chrom"] == v["chrom"]]
            assert min(distance(pos, int(s["start"]), int(s["end"])) for s in near) >= 25
        else:
            nearest = min(distance(pos, r["start"], r["end"]) for rows in calls.values() for r in rows
                          if r["chrom"] == v["chrom"])
            assert 400 <= nearest <= 2000
    assert inside == len(neutral) // 2


def test_edge_records_are_each_what_they_say(genome, truth):
    edges = {v["expected_status"]: v for v in truth if v["effect"] == "edge"}
    assert len(edges) == len([v for v in truth if v["effect"] == "edge"]) == 6
    base = {status: genome[v["chrom"]][v["pos"] - 1].upper() for status, v in edges.items() if v["chrom"] in genome}
    assert edges["ref_mismatch"]["ref"] != base["ref_mismatch"] != edges["ref_mismatch"]["alt"]
    assert edges["swapped"]["ref"] != base["swapped"] == edges["swapped"]["alt"]
    alts = edges["multiallelic"]["alt"].split(",")
    assert edges["multiallelic"]["ref"] == base["multiallelic"] and len(set(alts)) == 2
    assert base["multiallelic"] not in alts
    indel = edges["indel"]
    assert indel["ref"] == genome[indel["chrom"]][indel["pos"] - 1 : indel["pos"] + 1].upper()
    assert indel["alt"] == indel["ref"][0]
    assert edges["contig_missing"]["chrom"] == "chrUn_gl000220" not in genome
    end = edges["near_contig_end"]
    assert len(genome[end["chrom"]]) - end["pos"] < 50 and end["ref"] == base["near_contig_end"]
    scored = [v for v in truth if v["effect"] != "edge"]
    assert all(v["expected_status"] == "scored" for v in scored)


def test_vcf_is_sorted_and_matches_the_truth_table(out, genome, truth):
    lines = (out / "variants.vcf").read_text().splitlines()
    assert lines[0] == "##fileformat=VCFv4.2"
    contigs = [line.split("ID=")[1].split(",")[0] for line in lines if line.startswith("##contig")]
    assert contigs == [*genome, "chrUn_gl000220"]
    header = [line for line in lines if line.startswith("#CHROM")]
    assert header == ["#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    records = [line.split("\t") for line in lines if not line.startswith("#")]
    keys = [(contigs.index(r[0]), int(r[1])) for r in records]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert [r[2] for r in records] == [f"rs{9000001 + i}" for i in range(len(records))]
    assert [r[:5] for r in records] == [[v["chrom"], str(v["pos"]), v["id"], v["ref"], v["alt"]] for v in truth]


def test_gwas_catalog_traits_are_built_from_the_destroying_snps(out, truth):
    """Each trait's SNPs are those destroying its motif's sites plus neutral ones; the file reads
    as the Catalog's, with one row of each kind real files hold that needs a status."""
    from cisflow.io.gwas_catalog import catalog_sites, read_gwas_catalog

    rows = read_gwas_catalog(out / "gwas_catalog.tsv")
    effect = {row["id"]: (row["effect"], row["motif"]) for row in truth}
    neutral_left = sum(e == "neutral" for e, _ in effect.values())
    for trait, (_, _, tf, n_neutral) in CATALOG_TRAITS.items():
        n_neutral = min(n_neutral, neutral_left)
        neutral_left -= n_neutral
        mine = rows[(rows["groups"] == trait) & rows["association"].eq("single") & rows["pos"].notna()]
        mine = mine.drop_duplicates("snp")
        kinds = [effect[snp] for snp in mine["snp"]]
        assert sum(e == "neutral" for e, _ in kinds) == n_neutral
        assert {m for e, m in kinds if e == "destroys"} == ({tf} if tf else set())
        assert sum(e == "destroys" for e, _ in kinds) == sum(v == ("destroys", tf) for v in effect.values())
    assert set(rows["association"]) == {"single", "haplotype", "interaction"}
    assert (rows["status"] == "unmapped").sum() == 1 and rows["chrom"].isin(["19", "20", "21", "22", "."]).all()
    sites, _ = catalog_sites(rows)
    assert sites["id"].is_unique and (sites["n_associations"] > 1).any()
    assert {"A", "C", "G", "T", "."} >= set("".join(sites["alt"]).replace(",", ""))


def test_activity_follows_the_weighted_motif_counts(out, motifs):
    rows = read_tsv(out / "activity.tsv.gz")
    kinds = read_tsv(out / "activity_truth.tsv.gz")
    assert list(rows[0]) == ["id", "sequence", "activity"]
    assert len(rows) == len(kinds) == round(TABLE_ROWS * SCALE)
    assert [r["id"] for r in rows] == [f"seq{i:06d}" for i in range(1, len(rows) + 1)] == [k["id"] for k in kinds]
    by_kind = {}
    for row, kind in zip(rows, kinds):
        by_kind.setdefault(kind["kind"], []).append(row["sequence"])
    assert {k: len(v) for k, v in by_kind.items() if k != "clean"} == ODD_ROWS
    assert all(len(s) == 110 and "N" not in s for s in by_kind["clean"])
    assert all(s.startswith(PREFIX) and s.endswith(SUFFIX) for s in sum(by_kind.values(), []))
    assert all(107 <= len(s) <= 113 and len(s) != 110 for s in by_kind["length"])
    assert all(1 <= s.count("N") <= 3 for s in by_kind["few_n"]) and all(s.count("N") > 3 for s in by_kind["many_n"])
    assert all(len(s) == 90 for s in by_kind["short"])
    weights = np.array([TABLE_WEIGHTS[motifs[tf].jaspar_id] for tf in ("REB1", "ABF1", "RAP1", "MIG1")])
    clean = [(float(r["activity"]), [int(k[tf]) for tf in ("REB1", "ABF1", "RAP1", "MIG1")])
             for r, k in zip(rows, kinds) if k["kind"] == "clean"]
    activity = np.array([a for a, _ in clean])
    weighted = np.array([c for _, c in clean]) @ weights
    assert np.corrcoef(activity, weighted)[0, 1] > 0.9
    assert abs(np.mean(activity - weighted) - BASE_ACTIVITY) < 0.05


def test_motif_and_sample_sheets(out):
    motif_rows = read_tsv(out / "motifs.tsv")
    assert [(r["role"], r["tf"], r["jaspar_id"]) for r in motif_rows] == [
        ("peaks", "GATA1::TAL1", "MA0140.3"), ("peaks", "FOS::JUN", "MA0099.4"), ("peaks", "CTCF", "MA0139.2"),
        ("peaks", "SP1", "MA0079.5"), ("table", "REB1", "MA0363.3"), ("table", "ABF1", "MA0265.3"),
        ("table", "RAP1", "MA0359.3"), ("table", "MIG1", "MA0337.2")]
    assert {r["release"] for r in motif_rows} == {"JASPAR2024"}
    samples = read_tsv(out / "samples.tsv")
    assert [(r["sample"], r["motif"]) for r in samples] == [("K562", "GATA1::TAL1"), ("HeLa-S3", "FOS::JUN"),
                                                            ("GM12878", "CTCF")]
    assert all((out / r["peaks"]).is_file() for r in samples)


def test_help_names_the_files(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert "genome.fa.gz" in capsys.readouterr().out


def test_the_panel_plants_ld_around_every_scored_snp_clear_of_the_sites(out, genome, truth, sites):
    from cisflow.io.panel import r_squared, read_panel

    contigs = list(genome)
    panel = read_panel(out / "panel.vcf.gz", {c: [(1, len(genome[c]))] for c in contigs}, contigs)
    scored = [row for row in truth if row["effect"] in ("destroys", "neutral")]
    assert set(row["id"] for row in scored) <= set(panel.id)
    for i in range(len(panel)):  # every panel SNV on the genome's base
        assert genome[panel.chrom[i]][panel.pos[i] - 1].upper() == panel.ref[i]
    spans = [(row["chrom"], int(row["start"]), int(row["end"])) for row in sites]
    others = [i for i in range(len(panel)) if not panel.id[i].startswith("rs")]
    assert not any(chrom == panel.chrom[i] and start <= panel.pos[i] - 1 < end
                   for i in others for chrom, start, end in spans)
    linked, unlinked = [], []
    for row in scored:
        lead = list(panel.id).index(row["id"])
        near = [i for i in others
                if panel.chrom[i] == panel.chrom[lead] and abs(panel.pos[i] - panel.pos[lead]) <= 2000]
        r2 = r_squared(panel.dosage[near], panel.dosage[lead])
        linked.append((r2 >= 0.75).sum())
        unlinked.append((r2 < 0.5).sum())
    assert min(linked) >= 2 and min(unlinked) >= 2, (linked, unlinked)


def test_credible_sets_in_finngens_layout_hold_each_lead_and_its_proxies(out, truth):
    from cisflow.demo.panel import CREDIBLE_TRAITS, NEUTRAL_SETS
    from cisflow.io.credible_sets import read_credible_sets

    rows = read_credible_sets(out / "credible_sets.SUSIE.snp.gz")
    assert set(rows["format"]) == {"finngen_susie"} and set(rows["trait"]) == set(CREDIBLE_TRAITS)
    sums = rows.groupby(["trait", "credible_set"])["pip"].sum()
    assert sums.between(0.9, 1.0).all()
    positions = {(row["chrom"][3:], row["pos"]): row for row in truth}
    for trait, (_, _, tf, _) in CATALOG_TRAITS.items():
        if trait not in CREDIBLE_TRAITS:
            continue
        held = [positions.get((chrom, pos)) for chrom, pos in rows.loc[rows["trait"] == trait, ["chrom", "pos"]]
                .itertuples(index=False)]
        held = [row for row in held if row]
        destroying = [row for row in truth if row["effect"] == "destroys" and row["motif"] == tf]
        assert {row["id"] for row in destroying} <= {row["id"] for row in held}
        assert sum(row["effect"] == "neutral" for row in held) == NEUTRAL_SETS


@pytest.mark.parametrize("option, value, message", [("--scale", "2", "--scale: 2.0 is not between 0.1 and 1"),
                                                    ("--seed", "-1", "--seed: -1 is negative")])
def test_the_generator_refuses_an_option_out_of_range_before_writing(tmp_path, capsys, option, value, message):
    with pytest.raises(SystemExit) as stopped:
        main([str(tmp_path / "out"), option, value])
    assert stopped.value.code == 2 and message in capsys.readouterr().err and not (tmp_path / "out").exists()
