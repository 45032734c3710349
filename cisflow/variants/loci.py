"""A trait's SNPs grouped into loci, and a lead SNP's proxies: a GWAS reports loci, a causal SNP among
proxies in LD, not independent SNPs.

By distance (the default): a trait's SNPs on a contig in order of position, a gap of more than
``window`` bp starting a new locus, so that SNPs within the window of each other are chained into
one; its lead is the SNP of smallest p-value (where the input gives none, the first by position).
By LD, with a reference panel (``cisflow.io.panel``), as PLINK's ``--clump`` and FUMA do: the SNP of
smallest p-value not yet in a locus leads a new one, which every SNP not yet in a locus within
``window`` bp of it and with r² >= ``r2`` joins; a SNP the panel lacks is a locus of its own.
A locus is named by its lead's position (``chrom:pos``): unique within a trait.

``proxies`` expands lead SNPs to the panel's variants in LD with them (r² >= ``r2`` within the
window), each naming its lead, so that the SNP that breaks a site can be scored when the GWAS
reported only a proxy of it.
"""

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cisflow.io.gwas_catalog import GROUP_SEPARATOR
from cisflow.io.panel import r_squared, read_panel
from cisflow.types import PathLike
from cisflow.variants.enrichment import trait_groups

log = logging.getLogger(__name__)

LOCUS_COLUMNS = ["trait", "site", "locus", "lead", "lead_site"]


def distance_loci(snps: pd.DataFrame, window: int) -> pd.DataFrame:
    """Loci of chained SNPs (module docstring).

    Parameters
    ----------
    snps : DataFrame
        One row per (trait, site): ``trait``, ``site``, ``chrom``, ``pos``, ``id`` and ``p_value``
        (NaN where none).
    window : int
        The largest gap, in bp, between neighbouring SNPs of one locus.

    Returns
    -------
    DataFrame
        ``LOCUS_COLUMNS``, a row per input row: its ``locus`` (``chrom:pos`` of the lead), the lead's
        ``id`` as ``lead`` and its ``site`` as ``lead_site``.
    """
    ordered = snps.sort_values(["trait", "chrom", "pos", "site"], kind="mergesort").reset_index(drop=True)
    if ordered.empty:
        return pd.DataFrame(columns=LOCUS_COLUMNS)
    same = (ordered["trait"].eq(ordered["trait"].shift()) & ordered["chrom"].eq(ordered["chrom"].shift())
            & (ordered["pos"] - ordered["pos"].shift() <= window))
    group = (~same).cumsum()
    p = ordered["p_value"].fillna(np.inf)
    lead = p.groupby(group).idxmin()  # the first of equal p-values: the first by position
    return _named(ordered, group.map(lead).to_numpy())


def ld_loci(snps: pd.DataFrame, panel_path: PathLike, genome_contigs: Sequence[str], window: int,
            r2: float) -> pd.DataFrame:
    """Loci clumped around leads by r² in a reference panel (module docstring).

    Parameters
    ----------
    snps : DataFrame
        As ``distance_loci`` takes it, plus ``ref`` and ``alt`` (to find each SNP in the panel:
        the same alleles, either way round; a site of unknown ALT by position).
    panel_path : str or Path
        The reference panel VCF.
    genome_contigs : sequence of str
        The genome's contigs (the panel's names are mapped to them).
    window, r2 : int, float
        A lead's reach in bp, and the r² with it a SNP needs to join its locus.

    Returns
    -------
    DataFrame
        As ``distance_loci``.
    """
    ordered = snps.sort_values(["trait", "chrom", "pos", "site"], kind="mergesort").reset_index(drop=True)
    if ordered.empty:
        return pd.DataFrame(columns=LOCUS_COLUMNS)
    sites = ordered.drop_duplicates("site")
    windows = {chrom: [(pos, pos) for pos in group["pos"]] for chrom, group in sites.groupby("chrom", sort=False)}
    genotypes = read_panel(panel_path, windows, genome_contigs)
    row = _panel_rows(ordered, genotypes)
    log.info("LD loci: %d of %d SNPs found in the reference panel %s", int((row >= 0).sum()), len(row), panel_path)
    lead_of = np.full(len(ordered), -1)
    p = ordered["p_value"].fillna(np.inf).to_numpy()
    for _, members in ordered.groupby(["trait", "chrom"], sort=False).indices.items():
        members = members[np.lexsort((ordered["pos"].to_numpy()[members], p[members]))]
        positions = ordered["pos"].to_numpy()[members]
        for i, lead in enumerate(members):
            if lead_of[lead] >= 0:
                continue
            lead_of[lead] = lead
            if row[lead] < 0:
                continue
            near = members[(np.abs(positions - positions[i]) <= window) & (lead_of[members] < 0) & (row[members] >= 0)]
            if len(near):
                linked = r_squared(genotypes.dosage[row[near]], genotypes.dosage[row[lead]]) >= r2
                lead_of[near[linked]] = lead
    return _named(ordered, lead_of)


def _named(ordered, lead_of):
    """``LOCUS_COLUMNS`` of ``ordered`` given each row's lead row."""
    lead_of = np.asarray(lead_of)
    leads = ordered.iloc[lead_of]
    return pd.DataFrame({"trait": ordered["trait"].to_numpy(), "site": ordered["site"].to_numpy(),
                         "locus": (leads["chrom"].astype(str) + ":" + leads["pos"].astype(str)).to_numpy(),
                         "lead": leads["id"].to_numpy(), "lead_site": leads["site"].to_numpy()})


def _panel_rows(snps, genotypes):
    """(n,) the panel row of each SNP (-1 where the panel lacks it): same contig and position, and
    the same alleles either way round where the SNP's are known."""
    found = {}
    for index, key in enumerate(zip(genotypes.chrom, genotypes.pos)):
        found.setdefault(key, []).append(index)
    rows = np.full(len(snps), -1)
    for i, (chrom, pos, ref, alt) in enumerate(zip(snps["chrom"], snps["pos"], snps["ref"], snps["alt"])):
        for index in found.get((chrom, int(pos)), []):
            alleles = {genotypes.ref[index], genotypes.alt[index]}
            if ref == "." or alt == "." or "," in str(alt) or {ref, alt} == alleles:
                rows[i] = index
                break
    return rows


def proxies(leads: pd.DataFrame, panel_path: PathLike, genome_contigs: Sequence[str], window: int,
            r2: float) -> pd.DataFrame:
    """The panel's variants in LD with each of ``leads`` (module docstring).

    Parameters
    ----------
    leads : DataFrame
        ``chrom``, ``pos``, ``id``, ``ref``, ``alt`` of the SNPs to expand (REF/ALT as
        ``ld_loci`` matches them).
    panel_path, genome_contigs, window, r2
        As ``ld_loci`` takes them: the panel variants within ``window`` bp of a lead with
        r² >= ``r2`` are its proxies.

    Returns
    -------
    DataFrame
        One row per (lead, proxy), the lead itself left out: ``chrom``, ``pos``, ``id``, ``ref``,
        ``alt`` (the panel's), ``proxy_of`` (the lead's id) and ``r2``.

    The panel is read a stretch of at most ``SPAN`` bp at a time (leads in order of position), so
    that memory is set by the stretch, not by the leads' spread over the genome.
    """
    found, in_panel = [], 0
    for batch in _stretches(leads.sort_values(["chrom", "pos"], kind="mergesort"), window):
        windows = {batch["chrom"].iloc[0]: [(max(int(pos) - window, 1), int(pos) + window) for pos in batch["pos"]]}
        genotypes = read_panel(panel_path, windows, genome_contigs)
        row = _panel_rows(batch, genotypes)
        in_panel += int((row >= 0).sum())
        for i, lead in enumerate(batch.itertuples()):
            if row[i] < 0:
                continue
            near = np.flatnonzero(np.abs(genotypes.pos - int(lead.pos)) <= window)
            near = near[near != row[i]]
            values = r_squared(genotypes.dosage[near], genotypes.dosage[row[i]])
            keep = values >= r2
            found.append(pd.DataFrame({"chrom": genotypes.chrom[near[keep]], "pos": genotypes.pos[near[keep]],
                                       "id": genotypes.id[near[keep]], "ref": genotypes.ref[near[keep]],
                                       "alt": genotypes.alt[near[keep]], "proxy_of": lead.id, "r2": values[keep]}))
    log.info("proxies: %d of %d lead SNPs in the reference panel, %d proxies at r2 >= %g within %d bp", in_panel,
             len(leads), sum(len(part) for part in found), r2, window)
    columns = ["chrom", "pos", "id", "ref", "alt", "proxy_of", "r2"]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)


SPAN = 5_000_000  # bp of a contig's panel read at once for proxies


def _stretches(leads, window):
    """``leads`` (sorted by contig and position) in batches on one contig whose windows span at most
    ``SPAN`` bp (a lead alone may span more)."""
    start = 0
    chroms, positions = leads["chrom"].to_numpy(), leads["pos"].to_numpy()
    for end in range(1, len(leads) + 1):
        if end == len(leads) or chroms[end] != chroms[start] or positions[end] - positions[start] + 2 * window > SPAN:
            yield leads.iloc[start:end].reset_index(drop=True)
            start = end


def trait_snps(variants: pd.DataFrame, associations: pd.DataFrame, default: str) -> pd.DataFrame:
    """One row per (trait, site) of a variant set: ``trait``, ``site``, ``chrom``, ``pos``, ``id``,
    ``ref``, ``alt`` and ``p_value``, the trait's smallest for the site (NaN where the input gives
    none). ``variants`` one row per site (``cisflow.variants.sets``, at the genome's positions);
    the traits are its ``traits`` (all sites under ``default`` where none has one, a plain VCF); the
    p-values come from ``associations`` (by their ``groups``, ``traits`` or ``trait``)."""
    sites = variants.drop_duplicates("site")
    groups = trait_groups(sites, default)
    rows = pd.DataFrame([(trait, site) for trait, members in groups.items() for site in dict.fromkeys(members)],
                        columns=["trait", "site"])
    rows = rows.join(sites.set_index("site")[["chrom", "pos", "id", "ref", "alt"]], on="site")
    named = next((column for column in ("groups", "traits", "trait") if column in associations), None)
    if named is None or "p_value" not in associations:
        return rows.assign(p_value=np.nan)
    reported = associations[["site", named, "p_value"]].dropna(subset=["site"])
    trait = reported[named].fillna("").str.split(GROUP_SEPARATOR, regex=False)
    reported = reported.assign(trait=trait).explode("trait")
    best = reported.groupby(["trait", "site"])["p_value"].min()
    return rows.join(best, on=["trait", "site"])


def credible_set_loci(associations: pd.DataFrame, variants: pd.DataFrame) -> pd.DataFrame:
    """Credible sets as loci: each trait's set of SNPs (``cisflow.io.credible_sets`` associations:
    trait, credible_set, pip, site) is its locus, named by its id; its lead the SNP of largest PIP.
    ``LOCUS_COLUMNS`` plus ``pip`` (a SNP's largest in the trait's sets that hold it)."""
    rows = associations.dropna(subset=["site"]).sort_values(["trait", "credible_set", "pip"],
                                                            ascending=[True, True, False], kind="mergesort")
    lead = rows.drop_duplicates(["trait", "credible_set"]).set_index(["trait", "credible_set"])["site"]
    ids = variants.drop_duplicates("site").set_index("site")["id"]
    rows = rows.sort_values("pip", ascending=False, kind="mergesort").drop_duplicates(["trait", "site"])
    rows = rows.sort_values(["trait", "credible_set", "pip"], ascending=[True, True, False], kind="mergesort")
    lead_site = lead.reindex(pd.MultiIndex.from_frame(rows[["trait", "credible_set"]])).to_numpy()
    return pd.DataFrame({"trait": rows["trait"].to_numpy(), "site": rows["site"].to_numpy(),
                         "locus": rows["credible_set"].to_numpy(), "lead": ids.reindex(lead_site).to_numpy(),
                         "lead_site": lead_site, "pip": rows["pip"].to_numpy()})


def assign_loci(snps: pd.DataFrame, window: int, r2: float, panel_path: PathLike | None = None,
                genome_contigs: Sequence[str] = ()) -> pd.DataFrame:
    """``trait_snps``' rows in loci: by LD with ``panel_path``, else by distance (module docstring)."""
    if panel_path:
        return ld_loci(snps, panel_path, genome_contigs, window, r2)
    return distance_loci(snps, window)


def with_proxies(variants: pd.DataFrame, panel_path: PathLike, genome_contigs: Sequence[str], window: int,
                 r2: float) -> pd.DataFrame:
    """``variants`` (one row per site) with each lead's proxies from the panel as sites of their own
    (``proxies``), after the input's: ``proxy_of`` names their leads (`` | ``-joined where several
    share one), ``traits`` the leads', ``alt_from`` 'panel'; a proxy that is already a site of the
    input is not added again. The input's sites get ``proxy_of`` ''."""
    leads = variants[variants["ref"].ne(".")]
    found = proxies(leads, panel_path, genome_contigs, window, r2)
    found = found[~found.set_index(["chrom", "pos"]).index.isin(variants.set_index(["chrom", "pos"]).index)]
    traits = leads.groupby("id")["traits"].first() if "traits" in leads else pd.Series(dtype=object)
    found = found.assign(traits=found["proxy_of"].map(traits).fillna(""))
    merged = found.groupby(["chrom", "pos", "ref", "alt"], sort=False).agg(
        id=("id", "first"), proxy_of=("proxy_of", lambda ids: GROUP_SEPARATOR.join(dict.fromkeys(ids))),
        traits=("traits", lambda names: GROUP_SEPARATOR.join(dict.fromkeys(
            trait for cell in names for trait in cell.split(GROUP_SEPARATOR) if trait)))).reset_index()
    first = int(variants["site"].max()) + 1 if len(variants) else 0
    added = merged.assign(line=0, alt_from="panel", site=np.arange(first, first + len(merged)))
    if "pre_status" in variants:
        added = added.assign(pre_status="")
    return pd.concat([variants.assign(proxy_of=""), added], ignore_index=True)


def site_loci(table: pd.DataFrame, loci: pd.DataFrame, default: str, column: str = "traits") -> pd.DataFrame:
    """``table`` (rows with ``site`` and, for a set with traits, their ``column``) with ``locus`` and
    ``lead`` after that column: each of its traits' locus and lead, `` | ``-joined in the order of
    its traits (empty for a row outside every locus, an unplaced association)."""
    of = {(trait, site): (locus, lead) for trait, site, locus, lead in
          loci[["trait", "site", "locus", "lead"]].itertuples(index=False)}
    traits = table[column].fillna("") if column in table else pd.Series("", index=table.index)
    pairs = [[of[(trait, site)] for trait in (cell.split(GROUP_SEPARATOR) if cell else [default])
              if (trait, site) in of] for site, cell in zip(table["site"], traits)]
    at = table.columns.get_loc(column) + 1 if column in table else len(table.columns)
    table = table.copy()
    table.insert(at, "locus", [GROUP_SEPARATOR.join(p[0] for p in found) for found in pairs])
    table.insert(at + 1, "lead", [GROUP_SEPARATOR.join(p[1] for p in found) for found in pairs])
    return table


LOCUS_TABLE = ["trait", "locus", "lead", "id", "chrom", "pos", "site", "pip", "p_value", "proxy_of", "rank", "score",
               "top_target", "candidate"]


def locus_table(table: pd.DataFrame, loci: pd.DataFrame, snps: pd.DataFrame) -> pd.DataFrame:
    """One row per (trait, locus, SNP) with the SNP's predicted effect: its best allele's ``rank``,
    ``score`` (largest |z|, or |effect| uncalibrated) and ``top_target`` from the ranked ``table``;
    ``pip`` (credible sets) and ``p_value`` (the trait's, from ``snps``, ``trait_snps``' rows) beside
    them; ``candidate`` marks each locus's SNP of strongest predicted effect: the candidate
    regulatory variant. Loci by their candidate's score, strongest first; a locus's SNPs by score.

    Returns a DataFrame of ``LOCUS_TABLE`` columns."""
    best = table.sort_values("score", ascending=False, na_position="last", kind="mergesort").drop_duplicates("site")
    best = best.set_index("site")
    rows = loci.join(best[[c for c in ("id", "chrom", "pos", "rank", "score", "top_target", "proxy_of") if c in best]],
                     on="site")
    rows = rows.join(snps.set_index(["trait", "site"])["p_value"], on=["trait", "site"])
    rows = rows.assign(pip=rows["pip"] if "pip" in rows else np.nan,
                       proxy_of=rows["proxy_of"].fillna("") if "proxy_of" in rows else "")
    rows = rows.sort_values(["trait", "locus", "score"], ascending=[True, True, False], na_position="last",
                            kind="mergesort")
    rows["candidate"] = ~rows.duplicated(["trait", "locus"]) & rows["score"].notna()
    strongest = rows.groupby(["trait", "locus"])["score"].transform("max")
    rows = rows.assign(strongest=strongest).sort_values(["strongest", "trait", "locus", "score"],
                                                        ascending=[False, True, True, False], na_position="last",
                                                        kind="mergesort")
    return rows[LOCUS_TABLE].reset_index(drop=True)


def top_loci(locus_rows: pd.DataFrame, n: int = 20) -> list[dict[str, Any]]:
    """The ``n`` loci of strongest candidate (``locus_table``'s order), one dict each: trait, locus,
    lead, SNPs, and the candidate's id, score, output, PIP, p-value and whether it is the lead."""
    candidates = locus_rows[locus_rows["candidate"]].head(n)
    sizes = locus_rows.groupby(["trait", "locus"]).size()
    return [{"trait": row.trait, "locus": row.locus, "lead": row.lead, "snps": int(sizes[(row.trait, row.locus)]),
             "candidate": row.id, "score": float(row.score), "top_target": row.top_target,
             "pip": None if pd.isna(row.pip) else float(row.pip),
             "p_value": None if pd.isna(row.p_value) else float(row.p_value), "candidate_is_lead": row.id == row.lead}
            for row in candidates.itertuples()]
