"""The motif each variant breaks or makes: for every SNV, the JASPAR motif whose best match over
the windows around the SNP changes most between REF and ALT, and whether the SNP falls in a site
of a motif the model learned (its filters or TF-MoDISco patterns matched to JASPAR).

Scores are FIMO's: a window's sum of the motif's log-odds, log2 of the motif's probability of each
base (with ``PSEUDOCOUNT``) over a uniform background of 0.25, in bits. An N in a window adds
nothing (as memelite's fimo scores it). Each log-odds entry is rounded to 1/``SCALE`` bit, so that
a score is a whole number of units: float32 sums of them are exact, and a score's p-value, the
chance that a window of uniform random bases scores as high, is computed exactly for the rounded
matrix by dynamic programming over its columns (``score_tail``; FIMO and memelite bin scores the
same way, memelite at 0.1 bit). A motif matches where that p-value is below the variant set's
``motif_p_value`` (the config's default is FIMO's threshold).

Only the windows that hold the SNP count, on both strands: for a motif of width w, the w windows of
the 2w - 1 bases centred on it. The REF windows of a batch of SNVs go through one conv1d of all
motifs of a width (both strands) at a time; ALT scores are the REF scores plus the change of the one
column at the SNP.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch

from cisflow.encode import ALPHABET, N_CODE
from cisflow.interpret.filters import read_meme
from cisflow.interpret.jaspar import JasparMotif, load_jaspar
from cisflow.interpret.matches import best_matches
from cisflow.io.errors import InputError
from cisflow.io.genome import read_fai, window_codes
from cisflow.models.predict import device, one_hot
from cisflow.types import PathLike

log = logging.getLogger(__name__)

SCALE = 100  # log-odds units a bit: entries are rounded to 0.01 bit
PSEUDOCOUNT = 0.01  # probability mass spread over the four bases before the log (no base has log-odds -inf)
TIE = 1 << 24  # a change of one unit outweighs any difference of strength (scores are far below 2**24 units)
LEARNED_FILES = (("filters.meme", "matches.tsv"), ("modisco.meme", "modisco_matches.tsv"))  # interpret's, modisco's
Kernels = tuple[np.ndarray, torch.Tensor, torch.Tensor]  # a width's motifs (their indices), conv1d kernels, changes


def log_odds(probabilities: npt.ArrayLike, pseudocount: float = PSEUDOCOUNT) -> np.ndarray:
    """A motif's log-odds matrix in units of 1/``SCALE`` bit.

    Parameters
    ----------
    probabilities : array, shape (width, 4)
        Base probabilities in ACGT order, rows summing to 1.
    pseudocount : float
        Mass spread evenly over the four bases of each row: p' = (p + pseudocount / 4) / (1 + pseudocount).

    Returns
    -------
    array of int64, shape (width, 4)
        round(``SCALE`` x log2(p' / 0.25)).
    """
    smoothed = (np.asarray(probabilities, dtype=np.float64) + pseudocount / 4) / (1 + pseudocount)
    return np.round(SCALE * np.log2(smoothed / 0.25)).astype(np.int64)


def score_tail(matrix: npt.ArrayLike, p_value: float) -> tuple[int, np.ndarray]:
    """The smallest score of ``matrix`` whose p-value is below ``p_value``, and the p-values from it up.

    The distribution of a window's score under a uniform background is built column by column (each
    of the four entries with probability 1/4), exactly: scores are whole units.

    Parameters
    ----------
    matrix : array of int, shape (width, 4)
        A ``log_odds`` matrix.
    p_value : float
        The threshold.

    Returns
    -------
    threshold : int
        The smallest score t with P(S >= t) < ``p_value``; one more than the largest score when even
        that has a p-value at or above ``p_value`` (a motif too short to reach it).
    tail : array of float64, shape (largest score - threshold + 1,)
        ``tail[k]`` = P(S >= threshold + k).
    """
    matrix = np.asarray(matrix, dtype=np.int64)
    lowest = matrix.min(axis=1)
    pmf = np.ones(1)  # pmf[k]: P(S = lowest.sum() + k) over the columns so far
    for column, low in zip(matrix, lowest):
        grown = np.zeros(len(pmf) + column.max() - low)
        for value in column:
            grown[value - low : value - low + len(pmf)] += pmf / 4
        pmf = grown
    tail = np.cumsum(pmf[::-1])[::-1]  # from the top: the small tail is summed first
    first = int(np.argmax(tail < p_value)) if tail[-1] < p_value else len(tail)
    return int(lowest.sum()) + first, tail[first:]


class MotifScanner:
    """Motifs made ready to scan SNVs: log-odds matrices, thresholds and conv1d kernels by width.

    Parameters
    ----------
    motifs : iterable of JasparMotif
        M motifs (at least one) with ``matrix_id``, ``name`` and ``probabilities`` (width, 4)
        (``JasparMotif``).
    p_value : float
        A motif matches a window whose score has a p-value below this.
    """

    def __init__(self, motifs: Iterable[JasparMotif], p_value: float) -> None:
        self.motifs = list(motifs)
        self.matrices = [log_odds(motif.probabilities) for motif in self.motifs]
        thresholds, self.tails = zip(*(score_tail(matrix, p_value) for matrix in self.matrices))
        self.thresholds = np.array(thresholds, dtype=np.int64)
        widths = np.array([len(matrix) for matrix in self.matrices], dtype=np.int64)
        self.groups = [np.flatnonzero(widths == width) for width in np.unique(widths)]
        self.half = int(widths.max()) - 1  # bases a side of the SNP a window needs

    def kernels(self, dev: torch.device) -> list[Kernels]:
        """For each width w, the m motifs of that width (their indices) and two tensors: their conv1d
        kernels (2m, 4, w), each motif's matrix and then its reverse complement (rows and columns
        reversed: ACGT -> TGCA); and (4, 4, 2m, w) the change of each kernel's score, [REF, ALT], in
        window s when the SNP (at its column w - 1 - s) turns from REF to ALT."""
        dtype = torch.float32 if dev.type == "cpu" else torch.float64  # a GPU's float32 conv may round via TF32
        out = []
        for members in self.groups:
            forward = np.stack([self.matrices[i].T for i in members])  # (m, 4, w)
            weights = np.concatenate([forward, forward[:, ::-1, ::-1]])
            by_base = weights[:, :, ::-1].transpose(1, 0, 2)  # (4, 2m, w): the SNP's column in window s
            changes = by_base[None, :] - by_base[:, None]
            out.append((members, torch.tensor(weights.copy(), dtype=dtype, device=dev),
                        torch.tensor(changes.copy(), dtype=dtype, device=dev)))
        return out

    def p_values(self, motif: int, scores: npt.ArrayLike) -> np.ndarray:
        """P(S >= score) of ``motif``'s ``scores`` (n,), each at least its threshold."""
        return self.tails[motif][np.asarray(scores) - self.thresholds[motif]]


@torch.no_grad()
def best_scores(codes: np.ndarray, ref: np.ndarray, alt: np.ndarray,
                kernels: Sequence[Kernels]) -> tuple[np.ndarray, np.ndarray]:
    """The best REF and ALT score of every motif over the windows that hold the SNP, both strands.

    Parameters
    ----------
    codes : array of uint8, shape (n, 2h + 1)
        The bases around each SNV (A C G T N = 0..4), the SNP at index h, h at least the widest motif's
        width less one.
    ref, alt : array of int, shape (n,)
        The SNVs' REF and ALT bases (0..3).
    kernels : list
        ``MotifScanner.kernels``: (members, kernels, changes) for each width.

    Returns
    -------
    (array of int64, array of int64), each shape (n, M)
        The best REF and ALT scores in units of 1/``SCALE`` bit (M: the motifs in ``kernels``).
    """
    n, half = len(codes), codes.shape[1] // 2
    dev, dtype = kernels[0][1].device, kernels[0][1].dtype
    x = one_hot(torch.as_tensor(codes, device=dev)).to(dtype)
    ref_bases, alt_bases = torch.tensor(ref, device=dev), torch.tensor(alt, device=dev)
    refs, alts = [], []
    for _, weights, changes in kernels:
        width = weights.shape[2]
        scores = torch.nn.functional.conv1d(x[:, :, half - width + 1 : half + width], weights)  # (n, 2m, w)
        refs.append(scores.amax(dim=2).view(n, 2, -1).amax(dim=1))
        alts.append((scores + changes[ref_bases, alt_bases]).amax(dim=2).view(n, 2, -1).amax(dim=1))
    order = np.concatenate([members for members, _, _ in kernels])
    best_ref, best_alt = np.empty((n, len(order)), np.int64), np.empty((n, len(order)), np.int64)
    best_ref[:, order] = torch.cat(refs, dim=1).cpu().numpy()  # whole numbers: exact sums
    best_alt[:, order] = torch.cat(alts, dim=1).cpu().numpy()
    return best_ref, best_alt


def snv_windows(genome_path: PathLike, rows: pd.DataFrame, half: int) -> np.ndarray:
    """(n, 2 ``half`` + 1) codes centred on the 1-based ``pos`` of ``rows`` (with ``chrom``), N
    beyond a contig's ends."""
    index = read_fai(genome_path)
    width = 2 * half + 1
    codes = np.full((len(rows), width), N_CODE, np.uint8)
    positions = rows["pos"].to_numpy(np.int64)
    for chrom, at in rows.groupby("chrom", sort=False).indices.items():
        length = index[chrom][0]
        starts = positions[at] - 1 - half
        inside = (starts >= 0) & (starts + width <= length)
        codes[at[inside]] = window_codes(genome_path, chrom, starts[inside], width, index)
        for row, start in zip(at[~inside], starts[~inside]):  # near a contig end
            low, high = max(start, 0), min(start + width, length)
            codes[row, low - start : high - start] = window_codes(genome_path, chrom, [low], high - low, index)[0]
    return codes


def motif_changes(genome_path: PathLike, rows: pd.DataFrame, motifs: Sequence[JasparMotif], p_value: float,
                  batch_size: int = 1024) -> pd.DataFrame:
    """For each SNV of ``rows``, the motif whose best match changes most between REF and ALT.

    Among the motifs whose best REF or ALT score over the windows holding the SNP (both strands)
    reaches a p-value below ``p_value``, the one whose best score the SNP changes most above the
    motif's threshold t is named: the largest |max(ALT's best, t) - max(REF's best, t)|, a score below
    t counting as t (ties: the stronger match); none where no motif reaches it. Counted from the
    threshold, a change among chance-level scores is no change of a site: with ~900 JASPAR motifs a
    random position holds a chance match or two at p < 1e-4, and the plain largest |ALT - REF| named
    these (the change saturates at about 8.6 bits for any column with a base of probability near 0)
    over the site a SNP destroys (on the demo, the planted motif's family for 69 % of the destroying
    SNPs among the top 50, against 92 % counted from the threshold).

    Parameters
    ----------
    genome_path : str or Path
        The indexed genome FASTA.
    rows : DataFrame
        n rows with ``chrom``, ``pos`` (1-based) and the alleles scored, ``score_ref`` (the genome's
        base) and ``score_alt``; rows that are not SNVs of A, C, G, T (indels, unscored rows) get
        empty values.
    motifs : sequence of JasparMotif
        M motifs (``JasparMotif``: ``matrix_id``, ``name``, ``probabilities`` (width, 4)).
    p_value : float
        The match threshold.
    batch_size : int
        SNVs scanned at once.

    Returns
    -------
    DataFrame
        n rows, ``rows``' index: ``motif`` (the name, '' where none), ``motif_id``, ``motif_delta``
        (ALT's best score minus REF's, bits), ``motif_score`` (the larger of the two: the match's
        strength, bits) and ``motif_p`` (its p-value); NaN where none.
    """
    out = pd.DataFrame({"motif": "", "motif_id": "", "motif_delta": np.nan, "motif_score": np.nan,
                        "motif_p": np.nan}, index=rows.index)
    ref, alt = rows["score_ref"].fillna(""), rows["score_alt"].fillna("")
    snv = np.flatnonzero(ref.isin(list(ALPHABET[:4])) & alt.isin(list(ALPHABET[:4])))
    if not len(snv) or not motifs:
        return out
    scanner = MotifScanner(motifs, p_value)
    codes = snv_windows(genome_path, rows.iloc[snv], scanner.half)
    ref_codes = ref.iloc[snv].map(ALPHABET.index).to_numpy()
    alt_codes = alt.iloc[snv].map(ALPHABET.index).to_numpy()
    kernels = scanner.kernels(device())
    chosen_parts, delta_parts, strength_parts = [], [], []  # a batch each
    for start in range(0, len(snv), batch_size):
        batch = slice(start, start + batch_size)
        best_ref, best_alt = best_scores(codes[batch], ref_codes[batch], alt_codes[batch], kernels)
        strength, threshold = np.maximum(best_ref, best_alt), scanner.thresholds
        change = np.abs(np.maximum(best_alt, threshold) - np.maximum(best_ref, threshold))  # above the threshold
        key = np.where(strength >= threshold, change * TIE + strength - threshold, -1)  # ties: the stronger match
        pick = key.argmax(axis=1)
        picked = np.arange(len(pick)), pick
        chosen_parts.append(np.where(key[picked] >= 0, pick, -1))
        delta_parts.append(best_alt[picked] - best_ref[picked])
        strength_parts.append(strength[picked])
    chosen = np.concatenate(chosen_parts)
    deltas, strengths = np.concatenate(delta_parts), np.concatenate(strength_parts)
    named = chosen >= 0
    at = out.index[snv[named]]
    picks = chosen[named]
    out.loc[at, "motif"] = [scanner.motifs[i].name for i in picks]
    out.loc[at, "motif_id"] = [scanner.motifs[i].matrix_id for i in picks]
    out.loc[at, "motif_delta"] = deltas[named] / SCALE
    out.loc[at, "motif_score"] = strengths[named] / SCALE
    p_values = np.empty(len(picks))
    for motif in np.unique(picks):
        p_values[picks == motif] = scanner.p_values(motif, strengths[named][picks == motif])
    out.loc[at, "motif_p"] = p_values
    return out


def learned_motifs(files: Iterable[tuple[PathLike, PathLike]]) -> list[JasparMotif]:
    """The learned motifs with a credible JASPAR match (``matches.best_matches``), each named by it.

    Parameters
    ----------
    files : iterable of (path, path)
        (MEME file, matches table) pairs of an experiment: the interpret rule's ``filters.meme`` and
        ``matches.tsv`` (a ``member`` column; motifs ``filter<i>``, or ``<member>.filter<i>`` for
        several members) and the modisco rule's ``modisco.meme`` and ``modisco_matches.tsv``
        (motifs by ``pattern_name``).

    Returns
    -------
    list of JasparMotif
        One a credibly matched filter or pattern: ``matrix_id`` its name in the MEME file, ``name``
        its JASPAR match's name, ``probabilities`` its own (width, 4) matrix.
    """
    motifs = []
    for meme, matches in files:
        matrices, table = read_meme(meme), pd.read_csv(matches, sep="\t")
        if "pattern" in table:
            names = best_matches(table, "pattern")[["pattern_name", "name"]].itertuples(index=False)
        else:
            several = table["member"].nunique() > 1
            best = best_matches(table)
            names = zip([f"{member}.filter{f}" if several else f"filter{f}"
                         for member, f in zip(best["member"], best["filter"])], best["name"])
        motifs += [JasparMotif(motif, name, matrices[motif]) for motif, name in names]
    return motifs


def learned_motif_files(folder: PathLike) -> list[tuple[Path, Path]]:
    """The (MEME file, matches table) pairs of an experiment's interpret folder
    (results/interpret/<experiment>): the filters', and TF-MoDISco's where it ran."""
    folder = Path(folder)
    pairs = [(folder / meme, folder / matches) for meme, matches in LEARNED_FILES
             if (folder / meme).exists() and (folder / matches).exists()]
    if not pairs:
        raise InputError(folder, "no filters.meme and matches.tsv (the interpret rule's outputs) in it")
    return pairs


def add_motif_changes(table: pd.DataFrame, genome_path: PathLike, jaspar: Mapping[str, Any], p_value: float,
                      learned_files: Iterable[tuple[PathLike, PathLike]] = ()) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ranked variants with the motif columns, and the summary's ``motifs`` entry.

    Parameters
    ----------
    table : DataFrame
        n ranked rows (``scores.headline_table``); the scored SNVs among them are annotated.
    genome_path : str or Path
        The indexed genome FASTA.
    jaspar : dict
        ``release`` and ``tax_group`` of the JASPAR CORE motifs (the experiment's
        ``interpret.jaspar_release`` and ``interpret.tax_group``).
    p_value : float
        The match threshold of every motif (the variant set's ``motif_p_value``).
    learned_files : iterable of (path, path)
        The experiment's learned motifs (``learned_motifs``); none: ``learned_motif`` is empty.

    Returns
    -------
    (DataFrame, dict)
        ``table`` with ``motif``, ``motif_id``, ``motif_delta``, ``motif_score`` and ``motif_p``
        (``motif_changes`` against JASPAR) and ``learned_motif`` (the JASPAR name of the learned motif
        named by ``motif_changes`` against the learned motifs); and the counts of SNVs with a motif
        named, breaking it (delta < 0), making it (delta > 0) and in a learned motif's site.
    """
    motifs = load_jaspar(jaspar["release"], jaspar["tax_group"])
    scored = table[table["score"].notna()]
    log.info("the motifs %d scored variants break or make: %d %s motifs at p < %g", len(scored), len(motifs),
             jaspar["release"], p_value)
    changes = motif_changes(genome_path, scored, motifs, p_value)
    changes["learned_motif"] = motif_changes(genome_path, scored, learned_motifs(learned_files), p_value)["motif"]
    changes = changes.reindex(table.index)
    text = ["motif", "motif_id", "learned_motif"]
    changes[text] = changes[text].fillna("")
    named = changes["motif"].ne("")
    summary = {"jaspar": f"{jaspar['release']} CORE {jaspar['tax_group'] or 'all taxa'}", "p_value": p_value,
               "named": int(named.sum()), "breaks": int((changes["motif_delta"] < 0).sum()),
               "makes": int((changes["motif_delta"] > 0).sum()), "learned": int(changes["learned_motif"].ne("").sum())}
    return pd.concat([table, changes], axis=1), summary
