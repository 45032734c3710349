"""`cisflow`: use a trained model file outside the workflow.

    cisflow predict --model model.pt --fasta seqs.fa --out predictions.tsv
    cisflow score-variants --model model.pt --vcf variants.vcf --genome hg19.fa --out scores.tsv.gz
    cisflow score-variants --model model.pt --table gwas_hits.tsv --genome hg19.fa

A model file holds everything needed (architecture, sizes, the dataset's sequence length, targets
and padding), so a new sequence or variant list is scored without running Snakemake again.
"""

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

from cisflow.atomic import atomic_path
from cisflow.checkpoint import load_model, strand_symmetric
from cisflow.encode import encode_padded
from cisflow.errors import InputError
from cisflow.fasta import read_fasta
from cisflow.torch_utils import device, predict


def predict_fasta(model_path, fasta_path, out_path, batch_size=512):
    """Predictions for every record of ``fasta_path``: one row a record, one column a target.

    Sequences are padded with N (or trimmed) to the model's length at the end its training data
    was padded at (regions were cut to length: they are centred); a longer sequence than the model
    takes is an error naming its record, since trimming would silently drop bases.
    """
    model, meta = load_model(model_path, device())
    dataset = meta["dataset"]
    if dataset.get("features"):
        raise ValueError(f"{model_path}: this model also takes per-sequence features "
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
    codes = encode_padded(sequences, length, dataset.get("padding", "both"))
    outputs = predict(model, codes, dataset["task"], batch_size, both_strands=strand_symmetric(meta))
    table = pd.DataFrame(outputs, columns=[str(t) for t in dataset["targets"]])
    table.insert(0, "id", names)
    with atomic_path(out_path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.5g")
    return table


def _parser():
    parser = argparse.ArgumentParser(prog="cisflow", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pred = commands.add_parser("predict", help="predict the model's outputs for the sequences of a FASTA file")
    pred.add_argument("--model", required=True, type=Path, help="a model.pt written by the train rule")
    pred.add_argument("--fasta", required=True, type=Path, help="sequences, plain or gzipped FASTA")
    pred.add_argument("--out", type=Path, default=Path("predictions.tsv"),
                      help="TSV of predictions, a row a record (default: predictions.tsv)")
    pred.add_argument("--batch-size", type=int, default=512)
    score = commands.add_parser("score-variants", help="score every record of a VCF: alt - ref per output")
    score.add_argument("--model", required=True, type=Path, help="a model.pt written by the train rule")
    variants = score.add_mutually_exclusive_group(required=True)
    variants.add_argument("--vcf", type=Path, help="variants, plain or gzipped VCF")
    variants.add_argument("--table", type=Path,
                          help="variants as a GWAS-catalog-style table (rsid, chrom, pos, ref, alt[, trait, p_value])")
    score.add_argument("--genome", required=True, type=Path,
                       help="the genome FASTA the model was trained on (uncompressed; a .fai is made if missing)")
    score.add_argument("--out", type=Path, default=Path("variant_scores.tsv.gz"),
                       help="ranked variant table, every record with a status (default: variant_scores.tsv.gz); "
                            "beside it go the same as a VCF with the scores in INFO (.scored.vcf), ISM maps "
                            "around the top variants (.ism.png) and effects along the genome (.manhattan.png)")
    score.add_argument("--plot", type=Path, help="heatmap of the top variants (default: beside --out)")
    score.add_argument("--summary", type=Path, help="JSON summary with status counts (default: beside --out)")
    score.add_argument("--chain", type=Path,
                       help="UCSC chain file lifting the variants to the genome's build (hg38ToHg19.over.chain.gz)")
    score.add_argument("--indels", choices=["score", "skip"], default="score",
                       help="score indels of plain bases from both alleles' windows, or flag them unscored")
    score.add_argument("--max-ref-mismatch", type=float, default=0.05,
                       help="largest fraction of SNVs matching neither allele before stopping (default 0.05)")
    score.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                       help="auto (default): the reference pass in bf16 where the CPU (AMX, AVX512-BF16) or GPU "
                            "has it, each allele's changed span in fp32, so effects keep fp32 accuracy; "
                            "fp32: everything in fp32")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "predict":
            table = predict_fasta(args.model, args.fasta, args.out, args.batch_size)
            print(f"{len(table)} sequences scored: {args.out}")
        else:
            from cisflow.score_vcf import score_vcf

            stem = str(args.out).removesuffix(".gz").removesuffix(".tsv")
            outputs = dict(table=args.out, plot=args.plot or Path(f"{stem}.png"),
                           summary=args.summary or Path(f"{stem}.summary.json"), vcf=Path(f"{stem}.scored.vcf"),
                           ism=Path(f"{stem}.ism.png"), manhattan=Path(f"{stem}.manhattan.png"))
            summary = score_vcf(args.model, args.vcf or args.table, args.genome, outputs,
                                max_ref_mismatch=args.max_ref_mismatch, kind="vcf" if args.vcf else "table",
                                indels=args.indels, chain_path=args.chain, precision=args.precision)
            print(f"{summary['records']} records, {summary['scored']} alleles scored: {args.out}")
    except (InputError, ValueError, FileNotFoundError) as error:
        print(f"cisflow {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
