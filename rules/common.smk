"""Helpers shared by the rules: the config loaded and checked (cisflow.config), and the wildcard -> input/parameter functions."""

import shutil
import sys
from pathlib import Path

# The library lives beside the Snakefile. Scripts find it through the link scripts/cisflow
# (Snakemake puts a script's folder on its sys.path), also inside conda envs and on cluster nodes.
sys.path.insert(0, workflow.basedir)

from cisflow.preflight import load_config
from cisflow.data.dataset import FORMAT as DATASET_FORMAT
from cisflow.training.replicates import members as experiment_members
from cisflow.variants import outputs as variant_io

# Validated (schema defaults filled in), the samples sheet read and every cross-reference checked before
# any job, by cisflow.preflight rather than snakemake.utils.validate so that every error names the key.
CONFIG, SAMPLES = load_config(config)
DATASETS = config["datasets"]
EXPERIMENTS = config["experiments"]
# Each experiment's members (cisflow.training.replicates): one, or its seed replicates or folds.
MEMBERS = {name: experiment_members(spec.replicates, spec.training.seed) for name, spec in CONFIG.experiments.items()}


wildcard_constraints:
    experiment=r"[^/]+",
    member=r"[^/]+",


# What snakemake-executor-plugin-slurm runs where snakemake runs: sbatch to submit, squeue and sacct for
# the jobs' states, sacct to guess the account where the profile gives none.
SLURM_TOOLS = ("sbatch", "squeue", "sacct")


def _check_slurm_tools():
    """Under the slurm executor, its client tools on PATH: missing, they are named before any job, not
    met by each job's submission after the first status poll."""
    missing = [tool for tool in SLURM_TOOLS if shutil.which(tool) is None]
    if missing:
        raise WorkflowError(f"the slurm executor (--profile slurm) needs {', '.join(SLURM_TOOLS)} on PATH: not found "
                            f"here ({', '.join(missing)}); run without the slurm profile (every job on this machine), "
                            "or on the cluster's login node")


def _remove_stale_logs():
    """The logs of the jobs about to run, removed before the first is submitted. Snakemake removes a job's
    log when the job starts (Job.prepare), which a cluster job does on its node: a job that fails before
    that (sbatch refused it, SLURM never started it) would have the log of an earlier run printed as its
    own (--show-failed-logs)."""
    for job in workflow.dag.needrun_jobs():
        for log in job.log:
            Path(log).unlink(missing_ok=True)


# Main process, real runs only (Snakemake calls no onstart for a dry run, which submits nothing and
# needs no SLURM tools: a plan can be made on a workstation), after the plan and before any job.
onstart:
    if workflow.executor_plugin.name == "slurm":
        _check_slurm_tools()
    if workflow.non_local_exec:
        _remove_stale_logs()


def variant_kind(variant_set):
    """The kind of a variant set's input (the schema allows exactly one)."""
    return CONFIG.variants[variant_set].kind


def variant_rule_outputs(stem):
    """The variants rule's outputs by role (cisflow.variants.outputs): ``stem`` and each suffix, its figures as report
    entries."""
    paths = variant_io.output_paths(stem)
    for output in variant_io.OUTPUTS:
        if output.caption:
            paths[output.role] = report(
                paths[output.role],
                caption=f"../report/{output.caption}.rst",
                category=variant_io.REPORT_CATEGORY,
                subcategory="{experiment}",
            )
    return paths


REPORT_TEMPLATE = str(Path(workflow.basedir) / "cisflow" / "report" / "template.html")
GENOME = config.get("genome", {}).get("name", "none")


def _sources():
    """Every input to download, keyed by its path under resources/downloads."""
    sources = {f"genome/{GENOME}": config["genome"]} if "genome" in config else {}
    sources |= {f"peaks/{name}": row for name, row in SAMPLES.items()}
    for name, source in config["tables"].items():
        if "paste" in source:
            sources |= {f"tables/{name}.{i}": part for i, part in enumerate(source["paste"])}
        else:
            sources[f"tables/{name}"] = source
    sources |= {f"blacklist/{name}": spec["blacklist"] for name, spec in DATASETS.items() if "blacklist" in spec}
    sources |= {f"tss/{name}": spec["tss"] for name, spec in DATASETS.items() if spec["kind"] == "promoters"}
    sources |= {f"annotation/{name}": spec["annotation"] for name, spec in DATASETS.items() if "annotation" in spec}
    sources |= {f"loci/{name}": spec["tracks"]["regions"] for name, spec in EXPERIMENTS.items()
                if isinstance(spec.get("tracks", {}).get("regions"), dict)}
    for name, entry in config["variants"].items():
        sources[f"variants/{name}"] = entry[variant_kind(name)]
        if "dbsnp" in entry:
            sources[f"dbsnp/{name}"] = entry["dbsnp"]
        if "truth" in entry:
            sources[f"truth/{name}"] = entry["truth"]
        if "liftover" in entry:
            sources[f"chains/{name}"] = entry["liftover"]
        if "ld_panel" in entry:
            sources[f"panels/{name}"] = entry["ld_panel"]
        if "ld_panel_index" in entry:
            sources[panel_index(name)] = entry["ld_panel_index"]
    return sources


def panel_index(variant_set):
    """Where a variant set's panel index is downloaded: beside the panel, .tbi or .csi as its URL ends
    (htslib finds it there)."""
    suffix = ".csi" if config["variants"][variant_set]["ld_panel_index"]["url"].endswith(".csi") else ".tbi"
    return f"panels/{variant_set}{suffix}"


SOURCES = _sources()


def downloaded(source):
    """Where input ``source`` is downloaded to (``source`` a key of SOURCES, such as ``tables/activity``)."""
    return output_of("download", 0, source=source)


def genome_download(wildcards):
    """The genome's downloaded file (FASTA, plain or gzipped)."""
    return downloaded(f"genome/{wildcards.genome}")


def variant_input(wildcards):
    """The variant set's downloaded input (its VCF, table, GWAS Catalog file, credible sets or summary statistics)."""
    return downloaded(f"variants/{wildcards.variant_set}")


def download_url(wildcards):
    return SOURCES[wildcards.source]["url"]


def download_sha256(wildcards):
    return SOURCES[wildcards.source].get("sha256") or ""


def peak_files(wildcards):
    return [downloaded(f"peaks/{sample}") for sample in SAMPLES]


def peak_formats():
    """Each sample's peak_format from the samples sheet (None: narrowPeak or BED3-6, told apart by
    their columns); a param, so that changing one re-runs the intervals."""
    return [row.get("peak_format") for row in SAMPLES.values()]


def blacklist_of(wildcards):
    spec = DATASETS[wildcards.dataset]
    return [downloaded(f"blacklist/{wildcards.dataset}")] if "blacklist" in spec else []


def dataset_spec(wildcards):
    return DATASETS[wildcards.dataset]


def dataset_inputs(wildcards):
    spec = DATASETS[wildcards.dataset]
    if spec["kind"] == "peaks":
        return {
            **{name: output_of("intervals", name, dataset=wildcards.dataset) for name in ("regions", "targets", "counts")},
            "fasta": GENOME_FASTA,
            "fai": GENOME_FAI,
        }
    if spec["kind"] == "promoters":
        inputs = {
            "tss": downloaded(f"tss/{wildcards.dataset}"),
            "expression": table_files(spec["expression"]["table"]),
            "fasta": GENOME_FASTA,
            "fai": GENOME_FAI,
        }
        features = spec.get("features", {})
        if features.get("annotation") or any(table["key"] == "gene_name" for table in features.get("tables", [])):
            inputs["gene_features"] = output_of("gene_features", 0, dataset=wildcards.dataset)
        if features.get("tables"):  # one file each (cisflow.preflight), in the order of the list
            inputs["feature_tables"] = [table_files(table["table"]) for table in features["tables"]]
        return inputs
    if spec["kind"] == "fasta":  # files in the order of the config's lists, which label them
        inputs = {"sources": [table_files(source["table"]) for source in spec["sources"]]}
        if "test_sources" in spec:
            inputs["test_sources"] = [table_files(source["table"]) for source in spec["test_sources"]]
        return inputs
    return {"table": table_files(spec["table"])}


def annotation_of(wildcards):
    """The promoters dataset's downloaded annotation (GTF or GFF3)."""
    return downloaded(f"annotation/{wildcards.dataset}")


def table_files(name):
    """The downloaded file of a table, or the list of its pasted files."""
    source = config["tables"][name]
    if "paste" in source:
        return [downloaded(f"tables/{name}.{i}") for i in range(len(source["paste"]))]
    return downloaded(f"tables/{name}")


def dataset_of(wildcards):
    return output_of("dataset", 0, dataset=EXPERIMENTS[wildcards.experiment]["dataset"])


def init_model(wildcards):
    """The model file a fine-tuned experiment starts from (none for training from scratch): the
    init experiment's member in the same place as this member (its only one, or its first for a
    search, which has no member)."""
    init = EXPERIMENTS[wildcards.experiment]["training"].get("init_from")
    if not init:
        return []
    names = [member["name"] for member in MEMBERS[wildcards.experiment]]
    place = names.index(wildcards.member) if "member" in wildcards.keys() and len(MEMBERS[init]) > 1 else 0
    return [output_of("train", "model", experiment=init, member=MEMBERS[init][place]["name"])]


def member_spec(wildcards):
    """The member of the experiment (cisflow.training.replicates): name, seed and fold."""
    for member in MEMBERS[wildcards.experiment]:
        if member["name"] == wildcards.member:
            return member
    raise WorkflowError(f"experiment {wildcards.experiment} has no member {wildcards.member!r} (its members: "
                        f"{', '.join(member['name'] for member in MEMBERS[wildcards.experiment])})")


def members_spec(wildcards):
    return MEMBERS[wildcards.experiment]


def member_names(wildcards):
    return [member["name"] for member in MEMBERS[wildcards.experiment]]


def member_outputs(rule, name):
    """An input function: output ``name`` of ``rule`` for every member of the experiment."""

    def outputs(wildcards):
        return [output_of(rule, name, experiment=wildcards.experiment, member=member["name"])
                for member in MEMBERS[wildcards.experiment]]

    return outputs


def model_spec(wildcards):
    return EXPERIMENTS[wildcards.experiment]["model"]


def training_spec(wildcards):
    return EXPERIMENTS[wildcards.experiment]["training"]


def search_spec(wildcards):
    return EXPERIMENTS[wildcards.experiment]["search"]


def search_workers(wildcards):
    """The summaries of the experiment's search workers, one per worker."""
    workers = EXPERIMENTS[wildcards.experiment]["search"]["workers"]
    return [output_of("search_trials", 0, experiment=wildcards.experiment, worker=w) for w in range(workers)]


def search_best_of(wildcards):
    """The best trial of the experiment's search, when it has one: its full training takes those values."""
    if "search" not in EXPERIMENTS[wildcards.experiment]:
        return []
    return [output_of("search_best", 0, experiment=wildcards.experiment)]


def interpret_spec(wildcards):
    return EXPERIMENTS[wildcards.experiment]["interpret"]


def variant_truth(wildcards):
    entry = config["variants"][wildcards.variant_set]
    return [downloaded(f"truth/{wildcards.variant_set}")] if "truth" in entry else []


def variant_chain(wildcards):
    """The chain file that lifts the variant set to the genome's build, if it has one."""
    entry = config["variants"][wildcards.variant_set]
    return [downloaded(f"chains/{wildcards.variant_set}")] if "liftover" in entry else []


def variant_panel(wildcards):
    """The reference panel of a variant set, and its index, where it has them."""
    entry = config["variants"][wildcards.variant_set]
    files = [downloaded(f"panels/{wildcards.variant_set}")] if "ld_panel" in entry else []
    return files + ([downloaded(panel_index(wildcards.variant_set))] if "ld_panel_index" in entry else [])


def variant_dbsnp(wildcards):
    """The dbSNP VCF giving a GWAS Catalog set its alleles, if it has one."""
    entry = config["variants"][wildcards.variant_set]
    return [downloaded(f"dbsnp/{wildcards.variant_set}")] if "dbsnp" in entry else []


def variant_peaks(wildcards):
    """The regions of the experiment's dataset: background SNPs are matched on distance to its peaks."""
    return output_of("intervals", "regions", dataset=EXPERIMENTS[wildcards.experiment]["dataset"])


def variant_params(wildcards):
    """The variant set's entry as the validated config holds it: the variants script builds its settings
    from it (cisflow.config.settings.VariantSet)."""
    return config["variants"][wildcards.variant_set]


def variant_jaspar(wildcards):
    """The JASPAR motifs the variants' motif changes are named from: the experiment's interpret release and taxon."""
    spec = EXPERIMENTS[wildcards.experiment]["interpret"]
    return {"release": spec["jaspar_release"], "tax_group": spec["tax_group"]}


def variant_learned_motifs(wildcards):
    """The experiment's learned motifs, (MEME file, matches table) in turn: its filters' (rule interpret) and, where
    it runs TF-MoDISco, its patterns' (rule modisco)."""
    rules_of = ["interpret", "modisco"] if wildcards.experiment in modisco_experiments() else ["interpret"]
    return [output_of(rule, name, experiment=wildcards.experiment) for rule in rules_of for name in ("meme", "matches")]


def modisco_experiments():
    """Experiments whose interpretation includes TF-MoDISco (interpret.modisco)."""
    return [name for name, spec in EXPERIMENTS.items() if spec["interpret"]["modisco"]]


def variant_outputs():
    """(experiment, variant set) pairs that are scored: each experiment's own list, and sets marked
    all_experiments with every experiment of a peaks dataset."""
    pairs = [(name, vs) for name, spec in EXPERIMENTS.items() for vs in spec["variants"]]
    genomic = [name for name, spec in EXPERIMENTS.items() if DATASETS[spec["dataset"]]["kind"] == "peaks"]
    pairs += [(name, vs) for vs, entry in config["variants"].items() if entry["all_experiments"] for name in genomic]
    return list(dict.fromkeys(pairs))


def tracks_experiments():
    """Experiments with a tracks section (each of a peaks dataset: cisflow.preflight)."""
    return [name for name, spec in CONFIG.experiments.items() if spec.tracks is not None]


def tracks_spec(wildcards):
    return EXPERIMENTS[wildcards.experiment]["tracks"]


def tracks_held_out(wildcards):
    """The chromosomes the experiment's dataset split holds out (valid, then test): the tracks' regions by default."""
    split = DATASETS[EXPERIMENTS[wildcards.experiment]["dataset"]]["split"]
    return [*split["valid"], *split["test"]]


def tracks_loci(wildcards):
    """The BED file of loci the tracks cover, where tracks.regions names one."""
    return [downloaded(f"loci/{wildcards.experiment}")] if f"loci/{wildcards.experiment}" in SOURCES else []


def tracks_variant_sets(wildcards):
    """The variant sets the experiment scores, in the order of tracks_variant_tables."""
    return [vs for experiment, vs in variant_outputs() if experiment == wildcards.experiment]


def tracks_variant_tables(wildcards):
    """The ranked table of each variant set the experiment scores: a bigBed each."""
    return [output_of("variants", "table", experiment=wildcards.experiment, variant_set=vs)
            for vs in tracks_variant_sets(wildcards)]


# Each report role -> (rule, output name): the report reads the paths those rules declare, so a
# path is written once, in its rule.
EXPERIMENT_REPORT = {"metrics": ("evaluate", "metrics"), "performance": ("evaluate", "plot"),
                     "matches": ("interpret", "matches"), "reproducibility": ("interpret", "reproducibility"),
                     "motif_plot": ("interpret", "motifs"), "saliency": ("interpret", "saliency"),
                     "influence": ("interpret", "influence")}
MODISCO_REPORT = {"modisco_matches": ("modisco", "matches"), "modisco_plot": ("modisco", "plot")}
VARIANT_REPORT = {role: ("variants", role) for role in variant_io.PAGE_ROLES}
TRACKS_REPORT = {role: ("tracks", role) for role in ("hub", "session")}  # what the page links to


def output_of(rule, name, **wildcards):
    """The path the rule ``rule`` declares as output ``name`` (or number), for these wildcards."""
    outputs = getattr(rules, rule).output
    return expand(outputs[name] if isinstance(name, int) else getattr(outputs, name), **wildcards)[0]


def report_manifest():
    """{experiments: {experiment: {role: path, histories: {member: path}, variants: {set: {role: path}}[, tracks:
    {hub, session}]}}, datasets: {name: path}}: every file the report reads or links to, by what it is
    (cisflow.report.report.write_report)."""
    experiments = {}
    for name in EXPERIMENTS:
        files = {role: output_of(*where, experiment=name) for role, where in EXPERIMENT_REPORT.items()}
        files["histories"] = {member["name"]: output_of("train", "history", experiment=name, member=member["name"])
                              for member in MEMBERS[name]}
        if name in modisco_experiments():
            files |= {role: output_of(*where, experiment=name) for role, where in MODISCO_REPORT.items()}
        files["variants"] = {vs: {role: output_of(*where, experiment=name, variant_set=vs)
                                  for role, where in VARIANT_REPORT.items()}
                             for experiment, vs in variant_outputs() if experiment == name}
        if name in tracks_experiments():
            files["tracks"] = {role: output_of(*where, experiment=name) for role, where in TRACKS_REPORT.items()}
        experiments[name] = files
    datasets = {spec["dataset"]: output_of("dataset", 0, dataset=spec["dataset"]) for spec in EXPERIMENTS.values()}
    return {"experiments": experiments, "datasets": datasets}


def report_files(wildcards):
    """Every file of the manifest, and the page's template: the report's inputs."""
    manifest = report_manifest()
    files = [REPORT_TEMPLATE, *manifest["datasets"].values()]
    for experiment in manifest["experiments"].values():
        files += [path for role, path in experiment.items() if role not in ("variants", "histories", "tracks")]
        files += list(experiment["histories"].values()) + list(experiment.get("tracks", {}).values())
        files += [path for roles in experiment["variants"].values() for path in roles.values()]
    return files