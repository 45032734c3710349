"""Both alleles of every checked variant through the model, on both strands, as effects per output.

Per output, both strands averaged: ``sad`` (alt - ref of the predictions); for classification
outputs ``logodds``, the change in log-odds (alt - ref of the logits), which still moves where a
probability is saturated near 0 or 1; for outputs that cannot be negative ``log2fc``. The
*effect* of an output is its ``logodds`` for classification and its ``sad`` for regression;
``cisflow.variants.calibration`` turns effects into z-scores against background SNPs. SNVs share
their window's reference pass (``cisflow.variants.snv_effects``).

An ensemble's members score the same windows, read from the genome and encoded once: each member
gives both alleles' raw outputs on its own, and only then are they combined. The ensemble's raw
outputs are the members' mean (log-odds for classification), so its effect of an output is the
mean of the members' effects; beside it go the members' sd of that effect (``sd``) and the
fraction of members whose effect has the ensemble's sign (``agree``). A raw output that is NaN or
infinite, of any allele of any variant or background SNP, refuses the model
(``cisflow.models.predict``: its arithmetic overflows, and no effect of it can be trusted).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyfaidx
import torch
from sklearn.metrics import roc_auc_score

from cisflow.encode import encode
from cisflow.io.logs import Progress
from cisflow.models.ensemble import members_of
from cisflow.models.predict import check_finite, model_device, predict_strands, strand_mean
from cisflow.variants.snv_effects import SnvScorer, use_bf16
from cisflow.variants.windows import indel_windows, variant_windows

CHUNK = 65536  # variants whose windows, or float64 effects, are held in memory at once
SNV_STEP = 8192  # SNVs scored a call: a progress step of a few seconds to a minute on a CPU


EFFECT = {"classification": "logodds", "regression": "sad"}  # the effect of an output, by task


def score_variants(model: torch.nn.Module, meta: dict[str, Any], genome: pyfaidx.Fasta, checked: pd.DataFrame,
                   precision: str, batch_size: int = 256) -> pd.DataFrame:
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
    precision : {'auto', 'fp32', 'bf16'}
        The variant set's ``precision`` (auto or fp32), or bf16: 'auto' runs the SNVs' shared ref
        pass in bf16 where the hardware has it, with both alleles' changed spans in fp32
        (``cisflow.variants.snv_effects``); 'fp32' never uses bf16.
    batch_size : int
        Sequences a batch (a ref and an alt window make two).

    Returns
    -------
    DataFrame
        ``checked`` plus, per target t (float32): ``ref_<t>``, ``alt_<t>`` (predictions, both strands
        averaged: probabilities for classification), ``sad_<t>`` = alt - ref; for classification
        ``logodds_<t>`` (alt - ref of the logits, both strands averaged); for outputs that cannot
        be negative ``log2fc_<t>`` = log2((alt + c) / (ref + c)), c = 1e-3 for probabilities and 1
        for counts; for an ensemble ``sd_<t>`` and ``agree_<t>`` (module docstring). Then
        ``max_abs_sad``, ``max_abs_effect`` and ``top_target`` (the output with the largest
        |effect|, see the module docstring) and ``score`` (= max_abs_effect, until
        ``cisflow.variants.calibration`` replaces it by the largest |z|).
    """
    dataset = meta["dataset"]
    targets = [str(target) for target in dataset["targets"]]
    members = members_of(model)
    checked = checked.reset_index(drop=True)
    shape = (len(checked), len(targets))
    kinds = ("ref", "alt", "ref_logit", "alt_logit") + (("sd", "agree") if len(members) > 1 else ())
    predictions = {name: np.full(shape, np.nan, np.float32) for name in kinds}
    todo = checked[checked["score_ref"].notna()]
    indel = todo["status"] == "indel"
    if indel.any():
        ref_codes, alt_codes = indel_windows(genome, todo[indel], dataset["seq_len"])
        pairs = np.stack([ref_codes, alt_codes], axis=1).reshape(-1, ref_codes.shape[1])
        raw = np.stack([predict_strands(member, pairs, batch_size, both_strands=True) for member in members])
        _store(predictions, todo.index[indel], raw[:, 0::2], raw[:, 1::2], dataset["task"])
    todo = todo[~indel]
    if len(todo):
        bf16 = use_bf16(precision, model_device(model))
        scorers = [SnvScorer(member, bf16) for member in members]
    with Progress(f"score {len(todo):,} SNVs' alleles" + (f" with {len(members)} members" if len(members) > 1 else ""),
                  total=len(todo), unit="SNVs") as progress:
        for chrom, rows in todo.groupby("chrom", sort=False):
            for start in range(0, len(rows), SNV_STEP):
                chunk = rows.iloc[start : start + SNV_STEP]
                ref_raw, alt_raw = _predict_alleles(scorers, dataset, genome, chrom, chunk, batch_size)
                _store(predictions, chunk.index, ref_raw, alt_raw, dataset["task"])
                progress.advance(len(chunk))
    scored = checked["score_ref"].notna().to_numpy()
    check_finite(np.concatenate([predictions["ref_logit"], predictions["alt_logit"]], axis=1)[scored], model,
                 checked["id"].to_numpy()[scored], "variants' alleles")
    return add_effects(checked, targets, predictions, dataset["task"])


def _store(predictions, rows, ref_raw, alt_raw, task):
    """Both alleles' (k, n, 2, T) raw outputs of k members into ``predictions`` at ``rows``: the
    strand means of the members' mean and, for several members, the spread of their effects."""
    ref_mean, alt_mean = ref_raw.mean(axis=0), alt_raw.mean(axis=0)
    predictions["ref"][rows] = strand_mean(ref_mean, task)
    predictions["alt"][rows] = strand_mean(alt_mean, task)
    predictions["ref_logit"][rows] = ref_mean.mean(axis=1)
    predictions["alt_logit"][rows] = alt_mean.mean(axis=1)
    if "sd" in predictions:
        effects = (alt_raw.astype(np.float64) - ref_raw).mean(axis=2)  # (k, n, T): each member's effect
        predictions["sd"][rows] = effects.std(axis=0, ddof=1)
        predictions["agree"][rows] = (np.sign(effects) == np.sign(effects.mean(axis=0))).mean(axis=0)


def _predict_alleles(scorers, dataset, genome, chrom, rows, batch_size):
    """(ref, alt) raw outputs, (k, n, 2, T) each, of SNV ``rows`` on one contig by each of k
    members' ``scorers``. Each position's window is read and encoded once for every member, and
    run once a member however many alts it has; each alt pass reuses what it shares with the ref
    pass (``cisflow.variants.snv_effects``)."""
    seq_len = dataset["seq_len"]
    centre = seq_len // 2
    positions, window_of = np.unique(rows["pos"].to_numpy(), return_inverse=True)
    ref_codes = variant_windows(genome, chrom, positions, seq_len)
    if not np.array_equal(ref_codes[window_of, centre], encode("".join(rows["score_ref"]))):
        raise ValueError(f"the genome differs from the one the variants on {chrom!r} were checked against")
    alt_bases = encode("".join(rows["score_alt"]))
    pairs = [scorer(ref_codes, alt_bases, batch_size, window_of) for scorer in scorers]
    return np.stack([ref for ref, _ in pairs]), np.stack([alt for _, alt in pairs])


def add_effects(checked: pd.DataFrame, targets: Sequence[str], predictions: Mapping[str, np.ndarray],
                task: str) -> pd.DataFrame:
    """``checked`` with the per-output effect columns and the summary columns of
    ``score_variants`` from ``predictions``: (n, T) float32 arrays ``ref``, ``alt`` (predictions)
    and ``ref_logit``, ``alt_logit`` (raw outputs), NaN where a row is unscored.

    Differences are taken in float64 and stored as float32, the model's own precision, all
    per-output columns in one (n, P x T) block: each value is held once, and only ``CHUNK`` rows
    of one effect at a time in float64 on the way (for Basset at 200,000 SNPs a float64 copy of
    every column is 1.3 GB)."""
    ref, alt = predictions["ref"], predictions["alt"]
    prefixes = ["ref", "alt", "sad"] + (["logodds"] if task == "classification" else [])
    if not (np.nanmin(ref, initial=0.0) < 0 or np.nanmin(alt, initial=0.0) < 0):  # probabilities or counts
        prefixes.append("log2fc")
    prefixes += [name for name in ("sd", "agree") if name in predictions]
    n, n_targets = len(checked), len(targets)
    block = np.empty((n, len(prefixes) * n_targets), np.float32, order="F")  # a column: contiguous
    max_abs_sad, max_abs_effect, top = np.full(n, np.nan), np.full(n, np.nan), np.full(n, -1)
    for number, prefix in enumerate(prefixes):
        for start in range(0, n, CHUNK):
            rows = slice(start, start + CHUNK)
            values = _effect(prefix, {name: array[rows] for name, array in predictions.items()}, task)
            block[rows, number * n_targets : (number + 1) * n_targets] = values
            if prefix == "sad":
                max_abs_sad[rows] = _max_abs(values)[0]
            if prefix == EFFECT[task]:
                max_abs_effect[rows], top[rows] = _max_abs(values)
    columns = [f"{prefix}_{target}" for prefix in prefixes for target in targets]
    summary = pd.DataFrame({"max_abs_sad": max_abs_sad, "max_abs_effect": max_abs_effect,
                            "top_target": np.asarray(list(targets) + [None], dtype=object)[top],
                            "score": max_abs_effect}, index=checked.index)
    return pd.concat([checked, pd.DataFrame(block, columns=columns, index=checked.index, copy=False), summary],
                     axis=1)


def _effect(prefix, predictions, task):
    """(n, T) values of one per-output column kind (``score_variants``), differences in float64."""
    if prefix in ("ref", "alt", "sd", "agree"):
        return predictions[prefix]
    if prefix == "logodds":
        return predictions["alt_logit"].astype(np.float64) - predictions["ref_logit"]
    ref, alt = predictions["ref"].astype(np.float64), predictions["alt"].astype(np.float64)
    if prefix == "sad":
        return alt - ref
    pseudocount = 1e-3 if task == "classification" else 1.0
    return np.log2((alt + pseudocount) / (ref + pseudocount))


def effect_columns(table: pd.DataFrame, task: str) -> list[str]:
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


def rank_variants(scored: pd.DataFrame) -> pd.DataFrame:
    """``scored`` sorted by ``score``, largest first, with a 1-based ``rank`` column first.

    Unscored rows stay, at the end, with rank NA; ties keep their input order.
    """
    ranked = scored.sort_values("score", ascending=False, na_position="last", kind="mergesort")
    ranked = ranked.reset_index(drop=True)
    n_scored = int(ranked["score"].notna().sum())
    ranks = pd.array(list(range(1, n_scored + 1)) + [pd.NA] * (len(ranked) - n_scored), dtype="Int64")
    ranked.insert(0, "rank", ranks)
    return ranked


def truth_joined(scored: pd.DataFrame, truth: pd.DataFrame, column: str = "score") -> pd.DataFrame:
    """The truth's labelled rows (``cisflow.io.truth.read_truth``) joined on ``id`` to the largest
    ``column`` of each scored variant (a multi-allelic record's largest allele effect); the truth's
    ids not scored are left out."""
    effects = scored.dropna(subset=[column]).groupby("id")[column].max()
    return truth.dropna(subset=["positive"]).join(effects, on="id", how="inner")


def truth_auroc(scored: pd.DataFrame, truth: pd.DataFrame, column: str = "score") -> float:
    """AUROC of ``column`` for the truth's positives (effect 'destroys') against its negatives
    ('neutral'), over the variants ``truth_joined`` keeps. NaN when either class is empty.
    """
    joined = truth_joined(scored, truth, column)
    positive = joined["positive"].astype(bool)
    if positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, joined[column]))
