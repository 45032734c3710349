"""A GWAS case for trait enrichment: planted traits whose loci each hide one motif-destroying SNP among
proxies, and null traits of loci around peaks, scored with a trained model of tests/variant_case.py's
genome, and tested counting SNPs (each its own locus) and counting loci.

Each planted trait (one a motif of the case) has ``LOCI`` loci of ``PER_LOCUS`` SNPs: a SNP destroying
one of the motif's sites (the case's truth table) and proxies at random positions within
``SPREAD`` bp of it; each null trait ``LOCI`` loci of as many SNPs within ``SPREAD`` bp of a random
peak. P-values are drawn as a GWAS gives them (the lead's smallest). The table goes through
``cisflow.variants.variants.score_variant_set`` as ``cisflow score-variants --table`` does, once with a
locus window of 0 (every SNP its own locus: counting SNPs) and once with ``WINDOW`` (the loci as
planted, but where two happen to lie within it).

    python tools/locus_enrichment_case.py --case /tmp/stability-3 --model /tmp/stability-3/scores/ensemble_all.pt
"""

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cisflow.config.settings import Interpret, VariantSet  # noqa: E402
from cisflow.io.genome import open_genome  # noqa: E402
from cisflow.variants.variants import score_variant_set  # noqa: E402

LOCI, PER_LOCUS, SPREAD, WINDOW, NULL_TRAITS = 15, 8, 3_000, 7_000, 40
PLANTED = {"HepG2": "liver (HNF1A)", "A549": "lung (CEBPB)", "shared": "shared (NRF1)"}
INTERPRET = Interpret.from_mapping({})  # the JASPAR motifs the motif changes are named from: the defaults


def snp(rng, genome, chrom, pos, trait, name, p_value):
    ref = str(genome[chrom][pos - 1 : pos]).upper()
    alt = str(rng.choice([base for base in "ACGT" if base != ref]))
    return {"rsid": name, "chrom": chrom, "pos": pos, "ref": ref, "alt": alt, "trait": trait, "p_value": p_value}


def locus(rng, genome, chrom, centre, trait, number, lead=None):
    """``PER_LOCUS`` SNPs around ``centre`` (``lead``, a truth row, among them where given)."""
    length = len(genome[chrom])
    rows = [] if lead is None else [{"rsid": lead["id"], "chrom": chrom, "pos": int(lead["pos"]), "ref": lead["ref"],
                                     "alt": lead["alt"], "trait": trait, "p_value": 10 ** -rng.uniform(10, 30)}]
    while len(rows) < PER_LOCUS:
        pos = int(np.clip(centre + rng.integers(-SPREAD, SPREAD), 500, length - 500))
        if str(genome[chrom][pos - 1 : pos]).upper() in "ACGT":
            rows.append(snp(rng, genome, chrom, pos, trait, f"{trait}_{number}_{len(rows)}",
                            10 ** -rng.uniform(8, 12 if lead is not None else 30)))
    return rows


def write_case(case, seed=1):
    """The GWAS table of the case in ``case`` (a tests/variant_case.py folder trained by the workflow)."""
    rng = np.random.default_rng(seed)
    genome = open_genome(case / "resources/genome/case.fa")
    truth = pd.read_csv(case / "inputs/truth.tsv", sep="\t")
    vcf = pd.read_csv(case / "inputs/variants.vcf", sep="\t", comment="#", header=None,
                      names=["chrom", "pos", "id", "ref", "alt", "qual", "filter", "info"])
    destroying = truth[truth["effect"].str.lower() == "destroys"].merge(vcf, on="id")
    with gzip.open(next((case / "inputs/peaks").glob("*.narrowPeak.gz")), "rt") as handle:
        peaks = pd.read_csv(handle, sep="\t", header=None).iloc[:, :3]
    rows = []
    for motif, trait in PLANTED.items():
        leads = destroying[destroying["motif"] == motif].sample(LOCI, random_state=seed)
        for number, lead in enumerate(leads.to_dict("records")):
            rows += locus(rng, genome, lead["chrom"], int(lead["pos"]), trait, number, lead)
    for null in range(NULL_TRAITS):
        for number, peak in enumerate(peaks.sample(LOCI, random_state=seed + null).itertuples(index=False)):
            rows += locus(rng, genome, peak[0], (peak[1] + peak[2]) // 2, f"null {null}", number)
    genome.close()
    table = pd.DataFrame(rows)
    return table[~table.duplicated(["chrom", "pos"])]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=Path, required=True, help="a folder tools/seed_stability.py trained")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("/tmp/locus_case"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    table = write_case(args.case)
    path = args.out / "gwas.tsv"
    table.to_csv(path, sep="\t", index=False)
    for label, window in (("snps", 0), ("loci", WINDOW)):
        outputs = {"table": args.out / f"{label}.tsv.gz", "plot": args.out / f"{label}.png",
                   "summary": args.out / f"{label}.json", "enrichment": args.out / f"{label}.enrichment.tsv"}
        settings = VariantSet.from_mapping({"table": {"url": str(path)}, "locus_window": window, "ism": {"top": 0}})
        score_variant_set(str(args.model), str(path), str(args.case / "resources/genome/case.fa"), outputs, settings,
                          {"release": INTERPRET.jaspar_release, "tax_group": INTERPRET.tax_group},
                          peaks_path=str(args.case / "results/intervals/peaks.tsv.gz"), name="gwas")
        rows = pd.read_csv(outputs["enrichment"], sep="\t").query("output == 'any'").set_index("trait")
        planted, nulls = rows.loc[list(PLANTED.values())], rows[rows.index.str.startswith("null")]
        print(f"locus {label}: planted p " + ", ".join(f"{row.p_value:.2g} (AUC {row.auc:.2f}, {row.n_loci} units)"
                                                         for row in planted.itertuples()))
        print(f"locus {label}: null traits at p < 0.05: {int((nulls['p_value'] < 0.05).sum())} of {len(nulls)}")


if __name__ == "__main__":
    main()
