"""The lab-meeting page: one self-contained HTML file (images embedded) and its headline figures as JSON.

``write_report`` (the report rule) takes the per-experiment outputs of the workflow, gathers the headline metrics,
matched motifs and variant summaries into ``summary.json`` and renders ``index.html`` with the
plots inlined as base64 PNGs, so the page can be mailed or opened from a USB stick.
"""

import base64
import datetime
import hashlib
import importlib.metadata
import io
import json
import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import matplotlib.pyplot as plt
import pandas as pd

import cisflow
from cisflow.data.dataset import read_attrs
from cisflow.interpret.matches import best_matches, credible_matches
from cisflow.io.atomic import atomic_open
from cisflow.io.jsonio import read_json, shown, write_json
from cisflow.io.logs import job_record
from cisflow.types import PathLike
from cisflow.variants.outputs import FIGURE_ROLES


def embed_png(path: PathLike) -> str:
    """A data: URI of the PNG file at ``path``."""
    with open(path, "rb") as handle:
        return "data:image/png;base64," + base64.b64encode(handle.read()).decode()


def learning_curve(histories: Mapping[str, pd.DataFrame]) -> str:
    """Data URI of a loss / validation-score plot of an experiment's history tables, one a member
    ({member: history}; a single model's lines are labelled train and valid)."""
    figure, (loss_ax, score_ax) = plt.subplots(1, 2, figsize=(11, 4))
    several = len(histories) > 1
    for number, (member, history) in enumerate(histories.items()):
        colour = plt.get_cmap("tab10")(number % 10)
        loss_ax.plot(history["epoch"], history["train_loss"], lw=2, color=colour if several else None,
                     label=f"{member} train" if several else "train")
        loss_ax.plot(history["epoch"], history["valid_loss"], lw=2, ls="--" if several else "-",
                     color=colour if several else None, label=f"{member} valid" if several else "valid")
        score_ax.plot(history["epoch"], history["valid_score"], lw=2, color=colour if several else "#2ca02c",
                      label=member if several else None)
    loss_ax.set(xlabel="epoch", ylabel="loss")
    loss_ax.legend(fontsize=10 if several else 12)
    score_ax.set(xlabel="epoch", ylabel="validation score")
    if several:
        score_ax.legend(fontsize=10)
    for ax in (loss_ax, score_ax):
        ax.xaxis.label.set_size(14)
        ax.yaxis.label.set_size(14)
        ax.tick_params(labelsize=12)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def significant_motifs(matches: pd.DataFrame) -> list[dict[str, Any]]:
    """Filter -> JASPAR matches that count (``cisflow.interpret.matches``), best first."""
    table = credible_matches(matches)
    return [{"member": row.member, "filter": int(row.filter), "jaspar_id": row.jaspar_id, "name": row.name,
             "q_value": float(row.q_value)} for row in table.itertuples()]


def best_match_names(matches: pd.DataFrame) -> dict[str, int]:
    """{TF name: number of filters whose best credible match it is}, most filters first."""
    best = best_matches(matches)
    return best["name"].value_counts().to_dict()


def headline(task: str, metrics: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("auroc", "auprc") if task == "classification" else ("pearson", "spearman", "r2")
    return {key: metrics[key] for key in keys}


def member_rows(metrics: Mapping[str, Any], histories: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """One row a member: its name, test figures (on its own test split), epochs and training seconds."""
    return [{"member": member, **metrics["members"][member], "epochs": int(history["epoch"].max()),
             "training_seconds": float(history["seconds"].sum())} for member, history in histories.items()]


def experiment_summary(name: str, spec: Mapping[str, Any], files: Mapping[str, Any],
                       attrs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, pd.DataFrame], pd.DataFrame]:
    """Headline figures of one experiment from its output files (``files``: a dict of paths) and
    its dataset's attributes."""
    metrics = read_json(files["metrics"])
    histories = {member: pd.read_csv(path, sep="\t") for member, path in files["histories"].items()}
    matches = pd.read_csv(files["matches"], sep="\t", dtype={"member": str})
    influence = pd.read_csv(files["influence"], sep="\t", keep_default_na=False, dtype={"member": str})
    reproducibility = pd.read_csv(files["reproducibility"], sep="\t", keep_default_na=False)
    members = member_rows(metrics, histories)
    summary = {
        "task": metrics["task"],
        "dataset": spec["dataset"],
        "model": spec["model"]["name"],
        "n_parameters": metrics.get("n_parameters"),
        "metrics": headline(metrics["task"], metrics),
        "evaluated": metrics["evaluated"],
        "per_target": metrics["per_target"],
        "n_test": metrics["n_test"],
        "members": members,
        "member_spread": {key: metrics["member_spread"][key] for key in headline(metrics["task"], metrics)},
        "epochs": max(member["epochs"] for member in members),
        "training_seconds": sum(member["training_seconds"] for member in members),
        "motifs": significant_motifs(matches),
        "filters_matched": best_match_names(matches),
        "motif_reproducibility": reproducibility.to_dict("records"),
        "influential_filters": [{"member": row.member, "filter": int(row.filter), "influence": float(row.influence),
                                 "best_match": row.best_match} for row in influence.head(10).itertuples()],
        "variants": {},
    }
    if "modisco_matches" in files:
        summary["modisco_patterns"] = modisco_patterns(files["modisco_matches"])
        summary["modisco_target"] = modisco_target(spec, attrs)
    for variant_set, roles in files["variants"].items():
        variants = read_json(roles["summary"])
        keys = ("kind", "sites", "scored", "flagged", "status", "alt_from", "truth_auroc", "truth_auroc_note",
                "truth_auroc_by", "ranked_by", "background", "significant", "enrichment", "members", "loci",
                "top_loci", "note")
        summary["variants"][variant_set] = {k: variants[k] for k in keys if k in variants}
    return summary, histories, matches


def methods_paragraph(config: Mapping[str, Any], datasets: Mapping[str, Mapping[str, Any]]) -> str:
    """A methods paragraph generated from the config, to paste into slides."""
    parts = []
    for name, spec in config["experiments"].items():
        data = config["datasets"][spec["dataset"]]
        attrs = datasets[spec["dataset"]]
        training = spec["training"]
        source = _data_sentence(data, attrs)
        parts.append(
            f"For {name}, a {spec['model']['name']} network was trained on {source} with "
            f"{training['optimizer']} (learning rate {training['lr']:g}, batch size {training['batch_size']}) for "
            f"up to {training['epochs']} epochs, stopping after {training['patience']} epochs without "
            f"improvement of the validation score; test predictions average both strands."
        )
        replicates = spec.get("replicates")
        if replicates and "seeds" in replicates and replicates["seeds"] > 1:
            parts.append(f"{replicates['seeds']} such models were trained with different seeds and their ensemble "
                         "(the mean of their log-odds or values) made every prediction, attribution and variant "
                         "effect; test figures are the ensemble's, beside the models' mean and sd.")
        elif replicates and "folds" in replicates:
            folds = replicates["folds"]
            what = (f"{folds} folds, each holding out its own chromosomes (or rows) for validation and test"
                    if isinstance(folds, int) else f"{len(folds)} folds of given held-out chromosomes")
            parts.append(f"It was trained in {what}; test figures pool every fold's held-out predictions (out of "
                         "fold), and the folds' ensemble (the mean of their log-odds or values) made every "
                         "attribution and variant effect.")
        if spec.get("interpret", {}).get("modisco"):
            parts.append(
                f"TF-MoDISco (modisco-lite) clustered the hypothetical contributions (input gradients, mean over "
                f"the four bases removed) for output {modisco_target(spec, attrs)} of the "
                f"{spec['interpret']['modisco_sequences']:,} test sequences predicted highest for it into patterns, "
                f"matched to JASPAR like the filters.")
    parts.append(
        "First-layer filters were converted to position frequency matrices from their activating "
        "subsequences and compared with JASPAR CORE by Tomtom. Variant effects are alt − ref predictions "
        "(SAD) and, for classification outputs, changes in log-odds, averaged over both strands; each output's "
        "effects were expressed as robust z-scores (median and MAD) against reference SNPs drawn from the genome "
        "at the same distance to the nearest peak, the same reference for every variant whatever else was scored, "
        "and variants were ranked by their largest |z|. Each trait's SNPs were grouped into loci (by distance, or "
        "by r² with a lead in a reference panel; a credible set is a locus), and trait enrichment compares the "
        "trait's loci (their largest |z|, a credible set's PIP-weighted mean) with background loci built alike "
        "from SNPs matched to each of theirs on GC content and distance to the nearest peak, drawn with a seed of "
        "the site's own (one-sided "
        "Mann-Whitney test, AUC with a Hanley-McNeil 95% confidence interval, Benjamini-Hochberg q-values). "
        "Computed with cisflow " + cisflow.__version__ + "."
    )
    return " ".join(parts)


def _split_sentence(split):
    if isinstance(split["valid"], list):
        return (f"chromosomes {', '.join(split['valid'])} held out for validation and "
                f"{', '.join(split['test'])} for test")
    return f"random split, {split['valid']:.0%} validation, {split['test']:.0%} test"


def _data_sentence(data, attrs):
    if data["kind"] == "peaks":
        what = (f"peaks of {len(attrs['targets'])} samples merged into {data['width']}-bp regions around peak "
                f"{data['center']}s")
    elif data["kind"] == "promoters":
        what = (f"{attrs['n']:,} promoters ({data['upstream']:,} bp upstream and {data['downstream']:,} bp "
                f"downstream of the TSS) with their genes' expression")
    elif data["kind"] == "fasta":
        files = ", ".join(f"'{source['table']}'" for source in data["sources"])
        what = f"{attrs['n']:,} sequences of the labelled FASTA files {files} padded to {data['length']} nt"
    else:
        what = f"{attrs['n']:,} sequences of table '{data['table']}' padded to {data['length']} nt"
    if data.get("test_sources"):
        tests = ", ".join(f"'{source['table']}'" for source in data["test_sources"])
        return f"{what} (random split, {data['split']['valid']:.0%} validation; the files {tests} as test)"
    return f"{what} ({_split_sentence(data['split'])})"


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not in the report's env"


def run_info(config: Mapping[str, Any]) -> dict[str, Any]:
    """Who, when, what: date, git commit, config digest and software versions (of the packages
    that trained and scored, read from their metadata: the report's own env need not hold them)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "commit": commit,
        "config_digest": digest,
        "versions": {"cisflow": cisflow.__version__, "python": platform.python_version(),
                     **{package: _version(package) for package in ("torch", "snakemake", "pandas")}},
        "host": platform.node(),
    }


def modisco_target(spec: Mapping[str, Any], attrs: Mapping[str, Any]) -> str:
    """The output whose attributions TF-MoDISco clustered: ``interpret.modisco_target``, else the
    dataset's first target (as the modisco rule chooses)."""
    return spec["interpret"].get("modisco_target") or str(attrs["targets"][0])


def modisco_patterns(path: PathLike) -> list[dict[str, Any]]:
    """Each TF-MoDISco pattern of a modisco_matches.tsv with its seqlets and its best credible
    JASPAR match (q < 0.05 and shuffle p < 0.05; None without one)."""
    matches = pd.read_csv(path, sep="\t")
    credible = best_matches(matches, "pattern").set_index("pattern")
    return [{"pattern": row.pattern_name, "sign": int(row.sign), "n_seqlets": int(row.n_seqlets),
             "match": credible["name"].get(row.pattern)}
            for row in matches.drop_duplicates("pattern").itertuples()]


def anchor(*parts: str) -> str:
    """The id of a section of the page, the target of a link of its contents bar: what the section is
    (``experiment``, ``tracks``, ``variants``, ``enrichment``) and the names it is of, joined by ``/``. No name holds
    a ``/`` (names are letters, digits, ``_ - .``), so no two sections share an id, nor one with the
    page's fixed sections (``experiments``, ``data``, ``methods``, ``jobs``)."""
    return "/".join(parts)


def browser_tracks(files: Mapping[str, PathLike] | None, page: PathLike) -> dict[str, str] | None:
    """Links to an experiment's genome browser tracks (``files``: its hub.txt and IGV session by role, rule
    tracks), relative to the folder of the ``page``; None for an experiment without tracks."""
    if not files:
        return None
    return {role: Path(os.path.relpath(path, Path(page).parent)).as_posix() for role, path in files.items()}


def variant_section(experiment: str, variant_set: str, files: Mapping[str, PathLike]) -> dict[str, Any]:
    """What the page shows of one variant set of ``experiment`` (``files``: its summary, table and
    figures by role): its summary (with the traits' enrichment), top variants and figures, and the
    ids of its section and of its enrichment's."""
    summary = read_json(files["summary"])
    status_text = ", ".join(f"{status.replace('_', ' ')} {n}" for status, n in summary["status"].items() if n)
    figures = {role: embed_png(files[role]) if role in files else None for role in FIGURE_ROLES}
    return {"name": variant_set, "id": anchor("variants", experiment, variant_set),
            "enrichment_id": anchor("enrichment", experiment, variant_set), **figures,
            "status_text": status_text or "none", "enrichment": summary.get("enrichment", [])[:12],
            "top": _top_variants(files["table"]), "summary": summary}


TOP_VARIANT_COLUMNS = ("rank", "id", "chrom", "pos", "score_ref", "score_alt", "alt_from", "status", "score",
                       "top_target", "top_effect", "top_effect_sd", "top_sign_agreement",
                       "empirical_p", "motif", "motif_delta", "learned_motif")  # what the page's top variants show


def _top_variants(path, n=10):
    """The ``n`` top-ranked scored variants of a ranked table (unscored rows come last), the
    columns the page shows."""
    top = pd.read_csv(path, sep="\t", nrows=n, usecols=lambda column: column in TOP_VARIANT_COLUMNS)
    return top[top["score"].notna()].to_dict("records")


def job_table(logs_dir: PathLike | None) -> list[dict[str, Any]]:
    """One row per finished job whose rule log under ``logs_dir`` says where it ran
    (``logs.job_record``): job (the log's path without .log), host, SLURM job, partition, seconds."""
    rows: list[dict[str, Any]] = []
    if not logs_dir:
        return rows
    for path in sorted(Path(logs_dir).rglob("*.log")):
        record = job_record(path)
        if record and record["seconds"] is not None:
            rows.append({"job": str(path.relative_to(logs_dir).with_suffix("")), **record})
    return rows


def write_report(config: Mapping[str, Any], manifest: Mapping[str, Any], html_out: PathLike, summary_out: PathLike,
                 template_path: PathLike, logs_dir: PathLike | None = None) -> dict[str, Any]:
    """The report rule: write ``summary.json`` and the self-contained ``index.html``.

    Parameters
    ----------
    config : dict
        The run's config (experiments, datasets, report title).
    manifest : dict
        Every file the page reads, by role: ``experiments``: {experiment: {metrics, histories
        ({member: history}), matches, reproducibility, influence, performance, motif_plot,
        saliency[, modisco_matches, modisco_plot], variants: {set: {role: path} of the roles
        ``cisflow.variants.outputs.PAGE_ROLES``}[, tracks: {hub, session}, which the page links to]}} and
        ``datasets``: {dataset: its directory}.
    html_out, summary_out : str or Path
        The page and its headline figures (JSON).
    template_path : str or Path
        The page's Jinja2 template.
    logs_dir : str or Path, optional
        The rules' logs, read for where each job ran and how long it took.

    Returns
    -------
    dict
        The summary written to ``summary_out``.
    """
    outputs = manifest
    datasets = {name: read_attrs(path) for name, path in manifest["datasets"].items()}
    summary: dict[str, Any] = {"run": run_info(config), "experiments": {}, "jobs": job_table(logs_dir)}
    sections = []
    for name, spec in config["experiments"].items():
        files = outputs["experiments"][name]
        experiment, histories, matches = experiment_summary(name, spec, files, datasets[spec["dataset"]])
        summary["experiments"][name] = experiment
        sections.append({
            "name": name,
            "id": anchor("experiment", name),
            "tracks_id": anchor("tracks", name),
            "summary": experiment,
            "params": spec["model"]["params"],
            "learning_curve": learning_curve(histories),
            "performance": embed_png(files["performance"]),
            "motif_plot": embed_png(files["motif_plot"]),
            "saliency": embed_png(files["saliency"]),
            "modisco": embed_png(files["modisco_plot"]) if "modisco_plot" in files else None,
            "matches": best_matches(matches).head(15).to_dict("records"),
            "variant_sets": [variant_section(name, vs, roles) for vs, roles in files["variants"].items()],
            "tracks": browser_tracks(files.get("tracks"), html_out),
        })
    template_path = Path(template_path)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(template_path.parent),
                                     autoescape=jinja2.select_autoescape())
    environment.filters["number"] = shown  # "%.3f"|format fails on the null of an undefined metric
    html = environment.get_template(template_path.name).render(
        title=config["report"]["title"], run=summary["run"], jobs=summary["jobs"], sections=sections,
        datasets=datasets,
        genome=config.get("genome", {}).get("name", "none"), methods=methods_paragraph(config, datasets),
    )
    write_json(summary_out, summary)
    with atomic_open(html_out) as out:
        out.write(html)
    return summary
