"""Variant-effect scoring: check each VCF allele against the genome, predict both alleles, rank.

Window convention
-----------------
A VCF position ``pos`` is 1-based, so the variant's base is ``pos - 1`` in 0-based genome
coordinates. The model sees the ``seq_len`` bases ``[pos - 1 - seq_len // 2,
pos - 1 - seq_len // 2 + seq_len)`` (0-based, half-open), which puts the variant at index
``seq_len // 2`` of the window (for an even ``seq_len``, the right one of the two middle bases).
The alt window is the ref window with that single base replaced. An indel (REF and ALT of A/C/G/T
of other lengths) is scored, when asked, from both alleles' own windows: each starts at the same
base and holds its allele at index ``seq_len // 2``, followed by the genome after REF, up to
``seq_len`` bases.

Statuses
--------
Every (record, ALT allele) pair gets one row and one status; only the first two are scored:

``scored``          a SNV whose REF matches the genome.
``swapped``         a SNV whose REF does not match but whose ALT does: scored with the alleles
                    flipped, so the genome base is the ref allele and the VCF REF the alt allele.
``ref_mismatch``    a SNV where neither allele matches the genome.
``ref_equals_alt``  REF and ALT are the same allele: there is nothing to score.
``duplicate``       the same substitution at the same place as an earlier row (``duplicate_of``
                    gives its line): scored once, not twice.
``indel``           anything but a single-base A/C/G/T substitution: length changes, multi-base
                    substitutions, symbolic (``<DEL>``), ``*`` and missing (``.``) alleles. Those
                    of plain bases whose REF matches are scored with ``indels='score'``.
``invalid_allele``  REF or ALT holds a character no VCF allele has (``X``, ``I``/``D`` codes...).
``genome_n``        the genome has N at the position (a GWAS Catalog SNP lifted into a gap).
``unmapped``        the input gives no position (GWAS Catalog associations the Catalog could not map).
``unlifted``        the position could not be lifted to the genome's build (``cisflow.liftover``).
``contig_missing``  CHROM is not a contig of the genome.
``near_contig_end`` the window overruns the contig (or the position lies beyond it).

A status decided before the check (``pre_status``: unmapped, indel or genome_n from the GWAS
Catalog's rows) is kept as it is.

Effects
-------
Per output, both strands averaged: ``sad`` (alt - ref of the predictions); for classification
outputs ``logodds``, the change in log-odds (alt - ref of the logits), which still moves where a
probability is saturated near 0 or 1; for outputs that cannot be negative ``log2fc``. The
*effect* of an output is its ``logodds`` for classification and its ``sad`` for regression;
``cisflow.calibration`` turns effects into z-scores against background SNPs.

Alleles are compared with the genome case-insensitively (soft-masked repeats are lower case).
"""

import re

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from cisflow.atomic import atomic_open
from cisflow.encode import encode
from cisflow.snv_effects import SnvScorer, use_bf16
from cisflow.torch_utils import predict, predict_strands, strand_mean

STATUSES = ("scored", "swapped", "ref_mismatch", "ref_equals_alt", "duplicate", "indel", "invalid_allele",
            "genome_n", "unmapped", "unlifted", "contig_missing", "near_contig_end")
SCORED_STATUSES = ("scored", "swapped")
_BREAKEND = re.compile(r"[ACGTN]*[\[\]][^\[\]]+[\[\]][ACGTN]*|\.[ACGTN]+|[ACGTN]+\.")
CHUNK = 65536  # variants whose windows are held in memory at once
EFFECT = {"classification": "logodds", "regression": "sad"}  # the effect of an output, by task
VCF_COLUMNS = ["id", "chrom", "pos", "ref", "alt", "line", "multiallelic"]


def window_start(pos, seq_len):
    """0-based start of the window centred on 1-based VCF position(s) ``pos`` (see module docstring)."""
    return pos - 1 - seq_len // 2


def check_variants(vcf_df, genome, seq_len, indels="skip"):
    """One row per (record, ALT allele) of ``vcf_df`` (from ``read_vcf``) with its status.

    Adds to the VCF columns: ``multiallelic`` (the record has several ALT alleles), ``ref_match``
    (REF equals the genome; False where the genome cannot be read there), ``status``, the
    alleles that will be scored, ``score_ref`` and ``score_alt`` (upper case; None when unscored),
    and ``duplicate_of`` (the line of the row a duplicate repeats). Other columns of ``vcf_df``
    are carried. ``indels`` 'score' gives indels of plain bases whose REF matches alleles to score too.
    """
    table = _split_alleles(vcf_df)
    lifted = table["lift"].eq("ok") if "lift" in table else pd.Series(True, index=table.index)
    pre_status = table.pop("pre_status") if "pre_status" in table else pd.Series("", index=table.index)
    rows = []
    for row, ok, status in zip(table.itertuples(), lifted, pre_status):
        if status:
            rows.append((False, status, None, None))
        elif not ok:
            rows.append((False, "unlifted", None, None))
        else:
            rows.append(_check_allele(genome, row.chrom, row.pos, row.ref, row.alt, seq_len, indels == "score"))
    checks = pd.DataFrame(rows, columns=["ref_match", "status", "score_ref", "score_alt"], index=table.index)
    return _flag_duplicates(pd.concat([table, checks.astype({"ref_match": bool})], axis=1))


def _flag_duplicates(checked):
    """Rows that would score the same alleles at the same place as an earlier row get status
    duplicate (and ``duplicate_of``, that row's line) instead of being scored twice."""
    to_score = checked["score_ref"].notna()
    key = (checked["chrom"].astype(str) + ":" + checked["pos"].astype(str) + ":" + checked["score_ref"].fillna("")
           + ">" + checked["score_alt"].fillna("")).where(to_score)
    repeated = key.notna() & key.duplicated(keep="first")
    first = to_score & ~repeated
    first_line = dict(zip(key[first], checked.loc[first, "line"]))
    checked = checked.assign(duplicate_of=key.map(first_line).where(repeated).astype("Int64"))
    checked.loc[repeated, ["status", "score_ref", "score_alt"]] = ["duplicate", None, None]
    return checked


def variant_ism(model, meta, genome, rows, flank=10, batch_size=512):
    """In-silico mutagenesis around each variant of ``rows`` (scored rows from ``score_variants``):
    every base within ``flank`` of the variant, on the genome (ref) window, changed to each other
    base; the change of the row's ``top_target`` output, both strands averaged.

    Returns (len(rows), 2 * flank + 1, 4) changes (0 at the genome's own base) and, per row,
    ``ism_max_abs``: the largest |change| over those positions, which says whether the variant
    sits in the strongest site of its neighbourhood or beside it.
    """
    dataset = meta["dataset"]
    seq_len, targets = dataset["seq_len"], [str(t) for t in dataset["targets"]]
    centre = seq_len // 2
    positions = np.arange(centre - flank, centre + flank + 1)
    maps = np.zeros((len(rows), len(positions), 4), np.float32)
    if not len(rows):
        return maps, np.zeros(0, np.float32)
    for i, row in enumerate(rows.to_dict("records")):
        window = variant_windows(genome, row["chrom"], [row["pos"]], seq_len)[0]
        variants = np.repeat(window[None], len(positions) * 4 + 1, axis=0)
        variants[1 + np.arange(len(positions) * 4), np.repeat(positions, 4)] = np.tile(np.arange(4), len(positions))
        target = targets.index(row["top_target"])
        out = predict(model, variants, dataset["task"], batch_size, both_strands=True)[:, target]
        change = (out[1:] - out[0]).reshape(len(positions), 4)
        known = window[positions] < 4  # an N has no own base: all four are changes
        change[np.flatnonzero(known), window[positions][known]] = 0.0
        maps[i] = change
    return maps, np.abs(maps).reshape(len(rows), -1).max(axis=1)


def check_build(checked, source, genome_name, max_mismatch=0.05):
    """Stop when the variants look like another genome build than the genome's.

    At a SNV of the right build one of its alleles is the genome's base (REF, or ALT for a table
    that writes the effect allele first); at a position of another build the genome's base is
    unrelated, so neither allele matches about half the time. More than ``max_mismatch`` of
    such SNVs (and at least 5) is an error that says so instead of a table of noise.
    """
    snvs = checked["status"].isin([*SCORED_STATUSES, "ref_mismatch"])
    mismatched = int((checked["status"] == "ref_mismatch").sum())
    if snvs.any() and mismatched >= 5 and mismatched / snvs.sum() > max_mismatch:
        raise ValueError(
            f"{source}: neither allele matches the genome at {mismatched} of {int(snvs.sum())} SNVs "
            f"({mismatched / snvs.sum():.0%}): the variants are probably on another genome build than "
            f"{genome_name} (the GWAS Catalog gives GRCh38 positions; Basset-style models are on hg19). "
            f"Lift the positions over to the genome's build, or score them with a model on theirs; "
            f"max_ref_mismatch (now {max_mismatch}) under the variant set raises this limit.")


def _split_alleles(vcf_df):
    alts = vcf_df["alt"].str.split(",")
    table = vcf_df.assign(alt=alts, multiallelic=alts.str.len() > 1).explode("alt", ignore_index=True)
    table = table.drop(columns=[column for column in ("known_alleles",) if column in table])
    return table[VCF_COLUMNS + [column for column in table.columns if column not in VCF_COLUMNS]]


def _check_allele(genome, chrom, pos, ref, alt, seq_len, score_indels=False):
    """(ref_match, status, score_ref, score_alt) of one allele."""
    if not (_is_vcf_allele(ref) and _is_vcf_allele(alt)):
        return False, "invalid_allele", None, None
    if chrom not in genome:
        return False, "contig_missing", None, None
    record = genome[chrom]
    if pos - 1 + max(len(ref), 1) > len(record):
        return False, "near_contig_end", None, None
    genome_ref = record[pos - 1 : pos - 1 + len(ref)].upper()
    ref, alt = ref.upper(), alt.upper()
    start = window_start(pos, seq_len)
    ref_match = genome_ref == ref
    if ref == alt:
        return ref_match, "ref_equals_alt", None, None
    if not _is_snv(ref, alt):
        scoreable = score_indels and ref_match and _is_bases(ref) and _is_bases(alt)
        if scoreable and start >= 0 and start + seq_len + len(ref) <= len(record):
            return True, "indel", ref, alt
        return ref_match, "indel", None, None
    if start < 0 or start + seq_len > len(record):
        return ref_match, "near_contig_end", None, None
    if ref_match:
        return True, "scored", ref, alt
    if alt == genome_ref:
        return False, "swapped", alt, ref
    return False, "ref_mismatch", None, None


def _is_snv(ref, alt):
    return len(ref) == len(alt) == 1 and ref in "ACGT" and alt in "ACGT"


def _is_vcf_allele(allele):
    """Bases (N included), a symbolic allele (<DEL>), a breakend (G]chr2:100]), * or ."""
    allele = allele.upper()
    return (allele in ("*", ".") or set(allele) <= set("ACGTN") or (allele.startswith("<") and allele.endswith(">"))
            or bool(_BREAKEND.fullmatch(allele)))


def _is_bases(allele):
    return bool(allele) and set(allele) <= set("ACGT")


def indel_windows(genome, rows, seq_len):
    """(ref codes, alt codes) of indel ``rows``: each window starts ``seq_len // 2`` bases before
    the variant, then the allele, then the genome after REF, cut to ``seq_len``."""
    refs, alts = [], []
    for row in rows.to_dict("records"):
        record, at = genome[row["chrom"]], row["pos"] - 1
        before = str(record[at - seq_len // 2 : at])
        after = str(record[at + len(row["score_ref"]) : at + len(row["score_ref"]) + seq_len])
        refs.append((before + row["score_ref"] + after)[:seq_len].upper())
        alts.append((before + row["score_alt"] + after)[:seq_len].upper())
    return encode("".join(refs)).reshape(-1, seq_len), encode("".join(alts)).reshape(-1, seq_len)


def variant_windows(genome, chrom, positions, seq_len):
    """(n, seq_len) codes of the windows centred on 1-based ``positions`` of one contig.

    Each window is read once from the indexed FASTA; a window that overruns the contig is an
    error (the variants were checked with another ``seq_len``).
    """
    record = genome[chrom]
    starts = window_start(np.asarray(positions, dtype=np.int64), seq_len)
    if len(starts) and (starts.min() < 0 or starts.max() + seq_len > len(record)):
        raise ValueError(f"a {seq_len} bp window overruns contig {chrom!r}: "
                         f"check the variants with the model's seq_len")
    text = "".join(record[start : start + seq_len] for start in starts.tolist())
    return encode(text).reshape(len(starts), seq_len)


def score_variants(model, meta, genome, checked, batch_size=256, precision="auto"):
    """``checked`` with predictions for both alleles of every row with alleles to score.

    Parameters
    ----------
    model : torch.nn.Module
        A model trained on genomic windows of ``meta["dataset"]["seq_len"]`` bases.
    meta : dict
        The model file's metadata (``checkpoint.load_model``): the dataset's task and targets.
    genome : pyfaidx.Fasta
        The genome the variants were checked against.
    checked : DataFrame
        From ``check_variants``: rows with ``score_ref`` are scored, the rest get NaN.
    batch_size : int
        Sequences a batch (a ref and an alt window make two).
    precision : {'auto', 'fp32', 'bf16'}
        'auto' runs the SNVs' shared ref pass in bf16 where the hardware has it, with both
        alleles' changed spans in fp32 (``cisflow.snv_effects``); 'fp32' never uses bf16.

    Returns
    -------
    DataFrame
        ``checked`` plus, per target t: ``ref_<t>``, ``alt_<t>`` (predictions, both strands
        averaged: probabilities for classification), ``sad_<t>`` = alt - ref; for classification
        ``logodds_<t>`` (alt - ref of the logits, both strands averaged); for outputs that cannot
        be negative ``log2fc_<t>`` = log2((alt + c) / (ref + c)), c = 1e-3 for probabilities and 1
        for counts. Then ``max_abs_sad``, ``max_abs_effect`` and ``top_target`` (the output with
        the largest |effect|, see the module docstring) and ``score`` (= max_abs_effect, until
        ``cisflow.calibration`` replaces it by the largest |z|).
    """
    dataset = meta["dataset"]
    targets = [str(target) for target in dataset["targets"]]
    checked = checked.reset_index(drop=True)
    shape = (len(checked), len(targets))
    predictions = {name: np.full(shape, np.nan, np.float32) for name in ("ref", "alt", "ref_logit", "alt_logit")}
    todo = checked[checked["score_ref"].notna()]
    indel = todo["status"] == "indel"
    if indel.any():
        ref_codes, alt_codes = indel_windows(genome, todo[indel], dataset["seq_len"])
        pairs = np.stack([ref_codes, alt_codes], axis=1).reshape(-1, ref_codes.shape[1])
        raw = predict_strands(model, pairs, batch_size, both_strands=True)
        _store(predictions, todo.index[indel], raw[0::2], raw[1::2], dataset["task"])
    todo = todo[~indel]
    if len(todo):
        scorer = SnvScorer(model, use_bf16(precision, next(model.parameters()).device))
    for chrom, rows in todo.groupby("chrom", sort=False):
        for start in range(0, len(rows), CHUNK):
            chunk = rows.iloc[start : start + CHUNK]
            ref_raw, alt_raw = _predict_alleles(scorer, dataset, genome, chrom, chunk, batch_size)
            _store(predictions, chunk.index, ref_raw, alt_raw, dataset["task"])
    return add_effects(checked, targets, predictions, dataset["task"])


def _store(predictions, rows, ref_raw, alt_raw, task):
    """Strand means of (n, 2, T) raw outputs into ``predictions`` at ``rows``."""
    predictions["ref"][rows] = strand_mean(ref_raw, task)
    predictions["alt"][rows] = strand_mean(alt_raw, task)
    predictions["ref_logit"][rows] = ref_raw.mean(axis=1)
    predictions["alt_logit"][rows] = alt_raw.mean(axis=1)


def _predict_alleles(scorer, dataset, genome, chrom, rows, batch_size):
    """(ref, alt) raw outputs, (n, 2, T) each, of SNV ``rows`` on one contig. Each position's
    window is read and run once, however many alts it has; each alt pass reuses what it shares
    with the ref pass (``cisflow.snv_effects``)."""
    seq_len = dataset["seq_len"]
    centre = seq_len // 2
    positions, window_of = np.unique(rows["pos"].to_numpy(), return_inverse=True)
    ref_codes = variant_windows(genome, chrom, positions, seq_len)
    if not np.array_equal(ref_codes[window_of, centre], encode("".join(rows["score_ref"]))):
        raise ValueError(f"the genome differs from the one the variants on {chrom!r} were checked against")
    return scorer(ref_codes, encode("".join(rows["score_alt"])), batch_size, window_of)


def add_effects(checked, targets, predictions, task):
    """``checked`` with the per-output effect columns and the summary columns of
    ``score_variants`` from ``predictions``: (n, T) arrays ``ref``, ``alt`` (predictions) and
    ``ref_logit``, ``alt_logit`` (raw outputs), NaN where a row is unscored."""
    ref, alt = predictions["ref"].astype(np.float64), predictions["alt"].astype(np.float64)
    sad = alt - ref
    effects = [("ref", ref), ("alt", alt), ("sad", sad)]
    if task == "classification":
        effects.append(("logodds", predictions["alt_logit"].astype(np.float64) - predictions["ref_logit"]))
    if not (np.nanmin(ref, initial=0.0) < 0 or np.nanmin(alt, initial=0.0) < 0):  # probabilities or counts
        pseudocount = 1e-3 if task == "classification" else 1.0
        effects.append(("log2fc", np.log2((alt + pseudocount) / (ref + pseudocount))))
    columns = {}
    for prefix, values in effects:
        columns.update({f"{prefix}_{target}": values[:, i] for i, target in enumerate(targets)})
    effect = dict(effects)[EFFECT[task]]
    summary = pd.DataFrame({"max_abs_sad": _max_abs(sad)[0], "max_abs_effect": _max_abs(effect)[0]},
                           index=checked.index)
    summary["top_target"] = _top(effect, targets)
    summary["score"] = summary["max_abs_effect"]
    return pd.concat([checked, pd.DataFrame(columns, index=checked.index), summary], axis=1)


def effect_columns(table, task):
    """The per-output effect columns of a scored table (``logodds_<t>`` or ``sad_<t>``)."""
    prefix = f"{EFFECT[task]}_"
    return [column for column in table.columns if column.startswith(prefix)]


def _max_abs(values):
    """(largest |value| of each row, its index); NaN and -1 for a row of NaN."""
    values = np.abs(np.asarray(values, dtype=np.float64))
    scored = ~np.isnan(values).all(axis=1) if values.shape[1] else np.zeros(len(values), bool)
    largest, index = np.full(len(values), np.nan), np.full(len(values), -1)
    if scored.any():
        largest[scored] = np.nanmax(values[scored], axis=1)
        index[scored] = np.nanargmax(values[scored], axis=1)
    return largest, index


def _top(values, targets):
    """The target of each row's largest |value| (None for an unscored row)."""
    index = _max_abs(values)[1]
    names = np.asarray(targets + [None], dtype=object)
    return names[index]


def rank_variants(scored):
    """``scored`` sorted by ``score``, largest first, with a 1-based ``rank`` column first.

    Unscored rows stay, at the end, with rank NA; ties keep their input order.
    """
    ranked = scored.sort_values("score", ascending=False, na_position="last", kind="mergesort")
    ranked = ranked.reset_index(drop=True)
    n_scored = int(ranked["score"].notna().sum())
    ranks = pd.array(list(range(1, n_scored + 1)) + [pd.NA] * (len(ranked) - n_scored), dtype="Int64")
    ranked.insert(0, "rank", ranks)
    return ranked


def truth_auroc(scored, truth, column="score"):
    """AUROC of ``column`` for the truth's positives (effect 'destroys') against its negatives
    ('neutral'); ``truth`` from ``cisflow.truth.read_truth``.

    Joined on ``id`` over scored variants only; a multi-allelic record counts with its largest
    allele effect. NaN when either class is empty.
    """
    effects = scored.dropna(subset=[column]).groupby("id")[column].max()
    joined = truth.dropna(subset=["positive"]).join(effects, on="id", how="inner")
    positive = joined["positive"].astype(bool)
    if positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, joined[column]))


def write_scored_vcf(ranked, path, targets, task):
    """The variants as a VCF (sorted by contig, in order of first appearance, and position), each
    allele's status, rank and effects in INFO: the ranking score, the output it comes from, that
    output's effect, SAD and ref and alt predictions, and the empirical p-value where calibrated;
    unscored alleles carry their status only."""
    rows = ranked.assign(_order=ranked["chrom"].map({c: i for i, c in enumerate(dict.fromkeys(ranked["chrom"]))}))
    rows = rows.sort_values(["_order", "pos"], kind="mergesort")
    effect = EFFECT[task]
    calibrated = "empirical_p" in ranked
    score = "largest |z| of the effect against background SNPs" if calibrated else f"largest |{effect}|"
    lines = ["##fileformat=VCFv4.2", "##source=cisflow",
             f'##INFO=<ID=STATUS,Number=1,Type=String,Description="cisflow check: {", ".join(STATUSES)}">',
             '##INFO=<ID=RANK,Number=1,Type=Integer,Description="Rank by SCORE (1 = strongest)">',
             f'##INFO=<ID=SCORE,Number=1,Type=Float,Description="The ranking score: {score} over the outputs">',
             '##INFO=<ID=TARGET,Number=1,Type=String,Description="Output the SCORE comes from">',
             f'##INFO=<ID=EFFECT,Number=1,Type=Float,Description="{effect} (alt - ref) at TARGET, both strands '
             f'averaged">',
             '##INFO=<ID=SAD,Number=1,Type=Float,Description="alt - ref of the predictions at TARGET">',
             '##INFO=<ID=REFPRED,Number=1,Type=Float,Description="Prediction for the ref allele at TARGET">',
             '##INFO=<ID=ALTPRED,Number=1,Type=Float,Description="Prediction for the alt allele at TARGET">',
             '##INFO=<ID=P,Number=1,Type=Float,Description="Empirical p of SCORE among the background SNPs">',
             f"##cisflow_targets={','.join(map(str, targets))}",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for row in rows.to_dict("records"):  # target names need not be identifiers (HeLa-S3)
        info = f"STATUS={row['status']}"
        if pd.notna(row["score"]):
            target = row["top_target"]
            info += (f";RANK={row['rank']};SCORE={row['score']:.5g};TARGET={_info_text(target)}"
                     f";EFFECT={row[f'{effect}_{target}']:.5g};SAD={row[f'sad_{target}']:.5g}"
                     f";REFPRED={row[f'ref_{target}']:.5g};ALTPRED={row[f'alt_{target}']:.5g}")
            if calibrated:
                info += f";P={row['empirical_p']:.5g}"
        lines.append(f"{row['chrom']}\t{row['pos']}\t{row['id']}\t{row['ref']}\t{row['alt']}\t.\t.\t{info}")
    with atomic_open(path) as out:
        out.write("\n".join(lines) + "\n")


def _info_text(value):
    """A value safe inside a VCF INFO field (no spaces, semicolons, equals signs or commas)."""
    return str(value).translate(str.maketrans({" ": "_", ";": "_", "=": "_", ",": "_"}))


def status_counts(table):
    """{status: number of rows}, every known status included (zero when absent)."""
    counts = table["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in dict.fromkeys([*STATUSES, *counts.index])}
