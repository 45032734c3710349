"""`cisflow`: use a trained model file outside the workflow.

    cisflow predict --model model.pt --fasta seqs.fa --out predictions.tsv
    cisflow score-variants --model model.pt --vcf variants.vcf --genome hg19.fa --out scores.tsv.gz
    cisflow score-variants --model model.pt --table gwas_hits.tsv --genome hg19.fa
    cisflow score-variants --model model.pt --gwas-catalog gwas-catalog-associations_ontology-annotated.tsv \
        --trait "type 2 diabetes mellitus" --chain hg38ToHg19.over.chain.gz --genome hg19.fa --peaks peaks.bed
    cisflow ensemble --out ensemble.pt fold1/model.pt fold2/model.pt fold3/model.pt

A model file holds everything needed (architecture, sizes, the dataset's sequence length, targets
and padding), so a new sequence or variant list is scored without running Snakemake again. An
ensemble of several (an experiment's replicates or folds, results/models/<experiment>/model.pt, or
one made by `cisflow ensemble`) is one file too, taken wherever a model file is.
"""

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cisflow.config.schema import key_schema, number_option
from cisflow.config.settings import Interpret, VariantSet
from cisflow.data.dataset import sequence_padding
from cisflow.encode import encode_padded
from cisflow.io.atomic import (
    Terminated,
    atomic_path,
    cleanup_on_signals,
    output_problem,
    part_prefix,
    remove_stale_parts,
    write_target,
)
from cisflow.io.errors import ConfigError, InputError
from cisflow.io.fasta import read_fasta
from cisflow.io.sumstats import GENOME_WIDE
from cisflow.models.checkpoint import load_model, strand_symmetric
from cisflow.models.predict import device, predict
from cisflow.types import PathLike
from cisflow.variants.inputs import INPUT_KINDS, InputKind
from cisflow.variants.outputs import OUTPUTS, output_paths, stem_of


def predict_fasta(model_path: Path, fasta_path: Path, out_path: Path, batch_size: int = 512) -> pd.DataFrame:
    """``cisflow predict``: predictions for every record of a FASTA file.

    Parameters
    ----------
    model_path, fasta_path, out_path : Path
        A model.pt written by the train rule, the sequences (plain or gzipped FASTA), the TSV to
        write.
    batch_size : int
        Sequences a batch.

    Returns
    -------
    DataFrame
        One row a record: ``id``, then one column a target (probabilities for classification).

    Sequences are padded with N to the model's length at the end its training data was padded at
    (regions were cut to length: they are centred); a longer sequence than the model takes is an
    error naming its record, since trimming would silently drop bases.
    """
    model, meta = load_model(model_path, device())
    dataset = meta["dataset"]
    if dataset.get("features"):
        raise InputError(model_path, f"this model also takes per-sequence features "
                                     f"({', '.join(dataset['features'])}); predict takes sequences only")
    length = dataset["seq_len"]
    names, sequences = [], []
    for name, sequence, line in read_fasta(fasta_path):
        if len(sequence) > length:
            raise InputError(fasta_path, f"record {name!r} is {len(sequence)} bp; the model takes {length}", line)
        names.append(name)
        sequences.append(sequence)
    if not sequences:
        raise InputError(fasta_path, "no FASTA records")
    codes = encode_padded(sequences, length, sequence_padding(dataset))
    outputs = predict(model, codes, dataset["task"], batch_size, both_strands=strand_symmetric(meta), ids=names)
    table = pd.DataFrame(outputs, columns=[str(t) for t in dataset["targets"]])
    table.insert(0, "id", names)
    with atomic_path(out_path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.5g")
    return table


def config_option(key: str, text: str) -> dict[str, Any]:
    """``add_argument``'s keywords for an option that sets config key ``key``: its value checked as the
    config's is (``number_option`` for a number, the schema's ``enum`` as its choices), no default of its
    own (an option not given is None and leaves the key out, so that building the section fills in the
    schema's default) and the help ``text``, its ``%(default)s`` the schema's default."""
    schema = key_schema(key)
    option: dict[str, Any] = {"help": text.replace("%(default)s", str(schema["default"])) if "default" in schema
                              else text}
    if "enum" in schema:
        option["choices"] = schema["enum"]
    elif {"integer", "number"} & set(schema["type"] if isinstance(schema["type"], list) else [schema["type"]]):
        option["type"] = number_option(key)
    return option


def _parser():
    parser = argparse.ArgumentParser(prog="cisflow", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pred = commands.add_parser("predict", help="predict the model's outputs for the sequences of a FASTA file")
    pred.add_argument("--model", required=True, type=Path, help="a model.pt written by the train rule")
    pred.add_argument("--fasta", required=True, type=Path, help="sequences, plain or gzipped FASTA")
    pred.add_argument("--out", type=Path, default=Path("predictions.tsv"),
                      help="TSV of predictions, a row a record (default: predictions.tsv)")
    pred.add_argument("--batch-size", type=number_option("experiments.*.training.batch_size"), default=512,
                      help="sequences a batch (default 512)")
    ensemble = commands.add_parser("ensemble", help="one model file of several models' ensemble (their mean "
                                                    "log-odds or values), as the workflow makes of replicates")
    ensemble.add_argument("members", nargs="+", type=Path,
                          help="model files written by the train rule (or by cisflow), predicting the same outputs "
                               "from the same input")
    ensemble.add_argument("--out", required=True, type=Path, help="the ensemble's model file")
    ensemble.add_argument("--names", nargs="+", metavar="NAME",
                          help="the members' names (default: their folders' names, e.g. seed1, fold2, or where "
                               "those are alike their files')")
    score = commands.add_parser("score-variants", help="score every variant of a VCF, a GWAS table, the GWAS Catalog "
                                                       "or summary statistics: effects per output, calibrated, ranked")
    score.add_argument("--model", required=True, type=Path,
                       help="a model.pt written by the train rule (of a peaks dataset: genomic windows)")
    variants = score.add_mutually_exclusive_group(required=True)
    for kind in INPUT_KINDS:
        variants.add_argument(kind.flag, dest=kind.key, type=Path, help=kind.help)
    score.add_argument("--genome", required=True, type=Path,
                       help="the genome FASTA the model was trained on (uncompressed; a .fai is made if missing)")
    table, *beside = OUTPUTS
    score.add_argument("--out", type=Path, default=Path("variant_scores.tsv.gz"),
                       help=f"{table.what} (default: variant_scores.tsv.gz); beside it go "
                            f"{', '.join(f'{output.what} ({output.suffix})' for output in beside)}; all moved into "
                            f"place together once written (a failure leaves the previous ones as they were)")
    score.add_argument("--plot", type=Path, help="heatmap of the top variants (default: beside --out)")
    score.add_argument("--summary", type=Path, help="JSON summary with status counts (default: beside --out)")
    score.add_argument("--trait", action="append", dest="traits", metavar="TRAIT",
                       help="with --gwas-catalog: keep this trait (DISEASE/TRAIT or MAPPED_TRAIT name, or an "
                            "ontology id such as EFO_0001360); repeat for several. With --credible-sets: keep this "
                            "trait of the file. With --sumstats: the trait the file is of")
    score.add_argument("--p-threshold", **config_option("variants.*.p_threshold",
                                                        "with --sumstats: keep variants with p at or below this "
                                                        f"(default {GENOME_WIDE})"))
    score.add_argument("--dbsnp", type=Path,
                       help="a dbSNP VCF: alleles for Catalog SNPs whose risk allele is the reference or unknown "
                            "(otherwise all three substitutions are scored, flagged alt_unknown)")
    score.add_argument("--chain", type=Path,
                       help="UCSC chain file lifting the variants to the genome's build (hg38ToHg19.over.chain.gz)")
    score.add_argument("--locus-window", metavar="BP", **config_option(
        "variants.*.locus_window", "each trait's SNPs within this distance of each other form one locus, the unit "
                                   "enrichment counts; with --ld-panel, a lead's reach (default %(default)s)"))
    score.add_argument("--ld-panel", type=Path,
                       help="a reference panel (a genotype VCF on the genome's build, bgzipped and tabix-indexed or "
                            "not): loci clumped around leads by r2, as PLINK --clump does")
    score.add_argument("--r2", **config_option("variants.*.r2", "with --ld-panel: the r2 with its lead a SNP needs "
                                                                "to join the lead's locus (default %(default)s)"))
    score.add_argument("--proxies", metavar="R2", **config_option(
        "variants.*.proxies.r2", "with --ld-panel: also score each input SNP's proxies (the panel's SNVs at r2 >= R2 "
                                 "within --locus-window), each naming its lead"))
    score.add_argument("--peaks", type=Path,
                       help="the model's peaks (BED, narrowPeak, or the workflow's results/intervals table): "
                            "background SNPs are matched on distance to them and on GC content (GC only without)")
    score.add_argument("--background", metavar="N", **config_option(
        "variants.*.background.per_variant", "background SNPs matched to each scored site (GC content, distance to "
                                             "peaks), drawn from the site itself, to test traits for enrichment; 0 "
                                             "turns the background off (no z-scores, no enrichment) and ranks by the "
                                             "raw effect (default %(default)s)"))
    score.add_argument("--background-reference", metavar="N", **config_option(
        "variants.*.background.reference", "reference background SNPs per stratum of distance to the nearest peak, "
                                           "drawn from the seed alone: every effect's z-score and p-value are set "
                                           "against them, whatever else the set holds (default %(default)s)"))
    score.add_argument("--seed", **config_option("variants.*.background.seed",
                                                 "seed of the background draw (default %(default)s)"))
    score.add_argument("--ism-top", metavar="N", **config_option(
        "variants.*.ism.top", "in-silico mutagenesis around the N top-ranked variants (one per site), "
                              f"{key_schema('variants.*.ism.flank')['default']} bases a side; the ISM figure draws "
                              "the first 12 (default %(default)s)"))
    score.add_argument("--truth", type=Path,
                       help="a truth table (tab-separated: id, effect = destroys/neutral or 1/0): the AUROC of the "
                            "ranking in the summary")
    score.add_argument("--indels", **config_option(
        "variants.*.indels", "score indels of plain bases from both alleles' windows, or flag them unscored "
                             "(default %(default)s)"))
    score.add_argument("--max-ref-mismatch", **config_option(
        "variants.*.max_ref_mismatch", "largest fraction of SNVs matching neither allele before stopping "
                                       "(default %(default)s)"))
    score.add_argument("--precision", **config_option(
        "variants.*.precision", "auto: the reference pass in bf16 where the CPU (AMX, AVX512-BF16) or GPU has it, each "
                                "allele's changed span in fp32, so effects keep fp32 accuracy; fp32: everything in "
                                "fp32 (default %(default)s)"))
    score.add_argument("--jaspar-release", **config_option(
        "experiments.*.interpret.jaspar_release", "the JASPAR release whose CORE motifs name the motif each SNV breaks "
                                                  "or makes (the motif, motif_id, motif_delta, motif_score and motif_p "
                                                  "columns; default %(default)s)"))
    score.add_argument("--tax-group", **config_option(
        "experiments.*.interpret.tax_group", "the JASPAR taxonomic group of those motifs (default %(default)s; "
                                             "plants, insects, fungi...)"))
    score.add_argument("--motif-p-value", **config_option(
        "variants.*.motif_p_value", "a motif is named only where its best REF or ALT match over the windows holding "
                                    "the SNP has a FIMO-style p-value below this (default %(default)s, FIMO's)"))
    score.add_argument("--learned-motifs", type=Path, metavar="DIR",
                       help="the model's interpret folder (results/interpret/<experiment>: filters.meme, matches.tsv "
                            "and, where TF-MoDISco ran, modisco.meme, modisco_matches.tsv): the learned_motif column "
                            "names the credibly matched learned motif whose site holds the SNP")
    return parser


def check_outputs(inputs: Mapping[str, PathLike | None], outputs: Mapping[str, PathLike]) -> None:
    """Refuse, before anything is read, an output that would overwrite an input or another output, or
    that exists and is not a regular file (a directory, a device such as /dev/null, a named pipe), which
    the output's rename would replace with a file; a symlink is judged by where it points, where the
    output is written (``cisflow.io.atomic.output_problem``). ``inputs`` and ``outputs`` map how the
    command line names a path to it (an output's name ends with the option that sets it, the one to
    change)."""
    read = {Path(path).resolve(): flag for flag, path in inputs.items() if path is not None}
    written: dict[Path, str] = {}
    for label, path in outputs.items():
        resolved = Path(path).resolve()
        if resolved in read:
            raise InputError(path, f"{label} is the {read[resolved]} input: writing it would overwrite that input; "
                                   f"give {label.split()[-1]} another path")
        if resolved in written:
            raise InputError(path, f"{written[resolved]} and {label} are the same file; give them different paths")
        problem = output_problem(path)
        if problem:
            raise InputError(path, f"{label} {problem}; give a file path")
        written[resolved] = label


@contextlib.contextmanager
def output_set(outputs: Mapping[str, PathLike]) -> Iterator[dict[str, Path]]:
    """Temporary paths for ``outputs`` (role -> path), each in a hidden folder beside its output (the
    same file system), moved into place together when the block succeeds: a failure half-way leaves
    the previous outputs as they were instead of a new table beside stale plots. An output that is a
    symlink is written where it points (``cisflow.io.atomic.write_target``). The folders are named
    ``.cisflow.<host>-<pid>-<random>.part``; those a killed run of this user and host left in a folder
    are removed as the set starts there (``cisflow.io.atomic.remove_stale_parts``)."""
    targets = {role: write_target(path) for role, path in outputs.items()}
    folders: dict[Path, Path] = {}
    staged: dict[str, Path] = {}
    try:
        for role, target in targets.items():
            if target.parent not in folders:
                remove_stale_parts(target.parent)
                folders[target.parent] = Path(tempfile.mkdtemp(prefix=part_prefix("cisflow"), suffix=".part",
                                                               dir=target.parent))
            staged[role] = folders[target.parent] / target.name
        yield staged
        for role, target in targets.items():
            os.replace(staged[role], target)
    finally:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)


def score_variants_command(args: argparse.Namespace) -> dict[str, Any]:
    """``cisflow score-variants``: ``cisflow.variants.variants.score_variant_set`` on the command
    line's inputs and settings (``variant_set_of``), every output named from ``--out``
    (``cisflow.variants.outputs``) and written as one set. Returns the run's summary."""
    from cisflow.variants.motif_changes import learned_motif_files
    from cisflow.variants.variants import score_variant_set

    kind = next(kind for kind in INPUT_KINDS if getattr(args, kind.key))
    source = getattr(args, kind.key)
    variant_set = variant_set_of(args, kind)
    outputs = {role: Path(path) for role, path in output_paths(stem_of(args.out)).items()}
    labels = {output.role: f"the {output.suffix} output of --out" for output in OUTPUTS}
    for role, option in (("table", "out"), ("plot", "plot"), ("summary", "summary")):
        if getattr(args, option):
            outputs[role], labels[role] = getattr(args, option), f"--{option}"
    inputs = {"--model": args.model, kind.flag: source, "--genome": args.genome, "--truth": args.truth,
              "--peaks": args.peaks, "--ld-panel": args.ld_panel, "--chain": args.chain, "--dbsnp": args.dbsnp}
    check_outputs(inputs, {labels[role]: path for role, path in outputs.items()})
    with output_set(outputs) as staged:
        return score_variant_set(
            args.model, source, args.genome, staged, variant_set, peaks_path=args.peaks, truth_path=args.truth,
            dbsnp_path=args.dbsnp, chain_path=args.chain, panel_path=args.ld_panel, jaspar=jaspar_of(args),
            learned_motifs=learned_motif_files(args.learned_motifs) if args.learned_motifs else None,
            name=source.name)


def _given(**values: Any) -> dict[str, Any]:
    """The options given: ``values`` less those that are None."""
    return {key: value for key, value in values.items() if value is not None}


def variant_set_of(args: argparse.Namespace, kind: InputKind) -> VariantSet:
    """The variant set ``cisflow score-variants`` scores: its input of ``kind``, the settings of the
    options given, the schema's defaults for the others (``VariantSet.from_mapping``). ``--trait``
    gives the traits of a kind that takes several, the trait of one that takes one; other kinds
    take none.

    Parameters
    ----------
    args : Namespace
        The parsed command line.
    kind : InputKind
        The kind of its input, given by ``kind.flag``.

    Returns
    -------
    VariantSet
    """
    traits = args.traits or []
    return VariantSet.from_mapping({
        kind.key: {"url": str(getattr(args, kind.key))},
        **_given(traits=traits if traits and "traits" in kind.options else None,
                 trait=traits[0] if traits and "trait" in kind.options else None, p_threshold=args.p_threshold,
                 locus_window=args.locus_window, r2=args.r2,
                 proxies=None if args.proxies is None else {"r2": args.proxies}, indels=args.indels,
                 max_ref_mismatch=args.max_ref_mismatch, precision=args.precision, motif_p_value=args.motif_p_value),
        "background": _given(per_variant=args.background, reference=args.background_reference, seed=args.seed),
        "ism": _given(top=args.ism_top),
    }, "cisflow score-variants")


def jaspar_of(args: argparse.Namespace) -> dict[str, Any]:
    """The JASPAR motifs ``cisflow score-variants`` names the motif changes from: ``--jaspar-release``
    and ``--tax-group`` as given, the interpret section's defaults (the schema's) for those not given.

    Parameters
    ----------
    args : Namespace
        The parsed command line.

    Returns
    -------
    dict
        ``release`` and ``tax_group``, as ``score_variant_set`` takes them.
    """
    interpret = Interpret.from_mapping(_given(jaspar_release=args.jaspar_release, tax_group=args.tax_group),
                                       "cisflow score-variants")
    return {"release": interpret.jaspar_release, "tax_group": interpret.tax_group}


def ensemble_files(args: argparse.Namespace) -> dict[str, Any]:
    """``cisflow ensemble``: the members' model files as one (``cisflow.models.ensemble``)."""
    from cisflow.models.ensemble import save_ensemble

    names = args.names
    if names is None:
        folders = [path.resolve().parent.name for path in args.members]
        names = folders if len(set(folders)) == len(folders) else [path.stem for path in args.members]
    if len(names) != len(args.members) or len(set(names)) != len(names):
        raise ConfigError("--names", f"{len(args.members)} distinct names needed, one a member, got {names}")
    check_outputs({f"member {name}": path for name, path in zip(names, args.members)}, {"--out": args.out})
    return save_ensemble(args.out, args.members, names)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``cisflow`` command: 0 when done, 1 on a user's mistake (the message on stderr), 128 + the
    signal's number on SIGTERM or SIGHUP, after removing what was half written (2: argparse's usage
    errors, as SystemExit)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        with cleanup_on_signals():
            return run_command(args)
    except (ValueError, OSError) as error:  # InputError is a ValueError; OSError: an unwritable --out
        print(f"cisflow {args.command}: {error}", file=sys.stderr)
        return 1
    except Terminated as stop:
        print(f"cisflow {args.command}: {stop}", file=sys.stderr)
        return stop.code


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command line's command; print what it wrote. Returns 0."""
    if args.command == "predict":
        check_outputs({"--model": args.model, "--fasta": args.fasta}, {"--out": args.out})
        table = predict_fasta(args.model, args.fasta, args.out, args.batch_size)
        print(f"{len(table)} sequences scored: {args.out}")
    elif args.command == "ensemble":
        written = ensemble_files(args)
        print(f"ensemble of {len(written['members'])} members: {args.out}")
    else:
        summary = score_variants_command(args)
        print(f"{summary['sites']} variants, {summary['scored']} alleles scored: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
