"""How much a variant ranking moves with the training seed: single models against their ensembles.

Trains the peak experiment of a case as ``2k`` seed replicates through the workflow, then scores the
case's VCF (which has a truth table) as ``cisflow score-variants`` does, the background drawn alike,
with each member alone, with the two ensembles of disjoint seeds (members 1..k and k+1..2k) and with
the ensemble of all. Prints, as ``stability <name>: <value>`` lines:

* each model's truth AUROC (motif-destroying against neutral SNPs);
* between two single models (every pair) and between the two disjoint ensembles, the Spearman
  correlation of the per-SNP scores and the SNPs their top 20 share.

Cases: ``demo`` (the bundled demo) or ``variant`` (``tests/variant_case.py``'s GC-rich case, with
``--case-seed``). For the record of issue 20; not part of ``make bench`` (it trains 2k models).

    python tools/seed_stability.py --case variant --case-seed 3 --workdir /tmp/stability-3
"""

import argparse
import copy
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cisflow.config.settings import Experiment, Interpret, VariantSet  # noqa: E402
from cisflow.io.truth import read_truth  # noqa: E402
from cisflow.models.ensemble import save_ensemble  # noqa: E402
from cisflow.variants.scoring import truth_auroc  # noqa: E402
from cisflow.variants.variants import score_variant_set  # noqa: E402

TOP = 20
INTERPRET = Interpret.from_mapping({})  # the JASPAR motifs the motif changes are named from: the defaults


def demo_case(workdir):
    """The demo's config (peak experiment only, nothing scored by the workflow), its VCF and truth."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["genome"]["url"] = str(ROOT / config["genome"]["url"])
    sheet = [line.split("\t") for line in (ROOT / config["samples"]).read_text().splitlines()]
    for row in sheet[1:]:
        row[1] = str(ROOT / row[1])
    (workdir / "samples.tsv").write_text("\n".join("\t".join(row) for row in sheet) + "\n")
    config.update(samples=str(workdir / "samples.tsv"), variants={}, tables={},
                  datasets={"peaks": config["datasets"]["peaks"]})
    config["experiments"] = {"peaks_basset": {**config["experiments"]["peaks_basset"], "variants": []}}
    return config, "peaks_basset", ROOT / "resources/demo/variants.vcf", ROOT / "resources/demo/variants_truth.tsv"


def variant_case(workdir, seed):
    """tests/variant_case.py's case of ``seed``: its config (nothing scored by the workflow), VCF and truth."""
    from tests.variant_case import make_case

    config = yaml.safe_load(make_case(workdir / "inputs", seed=seed).read_text())
    config["variants"] = {}
    return config, "case_model", workdir / "inputs/variants.vcf", workdir / "inputs/truth.tsv"


def train_members(workdir, config, experiment, n):
    """The experiment's ``n`` seed replicates trained by the workflow; their model files."""
    config = copy.deepcopy(config)
    config["experiments"][experiment]["replicates"] = {"seeds": n}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    seed = Experiment.from_mapping(config["experiments"][experiment], f"experiments.{experiment}").training.seed
    models = [f"results/models/{experiment}/seed{seed + i}/model.pt" for i in range(n)]
    dataset = config["experiments"][experiment]["dataset"]
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
               str(workdir), "--configfile", str(path), "--cores", "2", *models,
               f"results/intervals/{dataset}.tsv.gz", f"resources/genome/{config['genome']['name']}.fa"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    return [workdir / model for model in models], workdir / f"results/intervals/{dataset}.tsv.gz", \
        workdir / f"resources/genome/{config['genome']['name']}.fa"


def per_snp(model, vcf, genome, peaks, truth, folder):
    """The model's score of each SNP (its largest over alleles) and its truth AUROC."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {"table": folder / "table.tsv.gz", "plot": folder / "top.png", "summary": folder / "summary.json"}
    score_variant_set(str(model), str(vcf), str(genome), outputs,
                      VariantSet.from_mapping({"vcf": {"url": str(vcf)}, "ism": {"top": 0}}),
                      {"release": INTERPRET.jaspar_release, "tax_group": INTERPRET.tax_group}, peaks_path=str(peaks),
                      truth_path=str(truth))
    table = pd.read_csv(outputs["table"], sep="\t", usecols=["id", "score"])
    return table.dropna().groupby("id")["score"].max(), truth_auroc(table, read_truth(truth))


def agreement(a, b):
    """Spearman of two per-SNP score series over the SNPs both scored, and the SNPs their top 20 share."""
    both = a.index.intersection(b.index)
    top = len(set(a.nlargest(TOP).index) & set(b.nlargest(TOP).index))
    return float(spearmanr(a[both], b[both])[0]), top


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=["demo", "variant"], default="variant")
    parser.add_argument("--case-seed", type=int, default=3, help="seed of tests/variant_case.py's case")
    parser.add_argument("--members", type=int, default=3, help="members of each of the two ensembles (k)")
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    config, experiment, vcf, truth = demo_case(args.workdir) if args.case == "demo" else \
        variant_case(args.workdir, args.case_seed)
    k = args.members
    models, peaks, genome = train_members(args.workdir, config, experiment, 2 * k)
    ensembles = {"ensemble_a": models[:k], "ensemble_b": models[k:], "ensemble_all": models}
    scores, aurocs = {}, {}
    for i, model in enumerate(models):
        scores[f"single{i + 1}"], aurocs[f"single{i + 1}"] = per_snp(model, vcf, genome, peaks, truth,
                                                                     args.workdir / "scores" / f"single{i + 1}")
    for name, members in ensembles.items():
        path = args.workdir / "scores" / f"{name}.pt"
        save_ensemble(path, members, [member.parent.name for member in members])
        scores[name], aurocs[name] = per_snp(path, vcf, genome, peaks, truth, args.workdir / "scores" / name)
    label = f"{args.case}{'' if args.case == 'demo' else args.case_seed}"
    singles = [f"single{i + 1}" for i in range(2 * k)]
    for name, value in aurocs.items():
        print(f"stability {label}_{name}_truth_auroc: {value:.3f}")
    single_auroc = np.array([aurocs[name] for name in singles])
    print(f"stability {label}_singles_truth_auroc: median {np.median(single_auroc):.3f}, "
          f"{single_auroc.min():.3f}-{single_auroc.max():.3f}")
    pairs = [agreement(scores[a], scores[b]) for a, b in itertools.combinations(singles, 2)]
    rho, shared = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    print(f"stability {label}_singles_spearman: median {np.median(rho):.3f}, {rho.min():.3f}-{rho.max():.3f} "
          f"({len(pairs)} pairs)")
    print(f"stability {label}_singles_top{TOP}_shared: median {np.median(shared):.0f}, {shared.min()}-{shared.max()}")
    rho, shared = agreement(scores["ensemble_a"], scores["ensemble_b"])
    print(f"stability {label}_ensembles_spearman: {rho:.3f}")
    print(f"stability {label}_ensembles_top{TOP}_shared: {shared}")


if __name__ == "__main__":
    main()
