"""Fine-mapped credible sets, read as the field distributes them.

Three formats, told apart by the file's content (gzipped, bgzipped or plain), never by its name:

``finngen_susie``
    FinnGen's SuSiE results (``finngen_R12_<PHENO>.SUSIE.snp.bgz``): tab-separated, one line per
    variant of a fine-mapped region under the header of FinnGen's pipeline (``trait region v rsid
    chromosome position allele1 allele2 maf beta se p mean sd prob cs cs_specific_prob low_purity
    ...``). Read: ``trait``, ``region``, ``chromosome``, ``position`` (1-based), ``allele1`` (REF),
    ``allele2`` (ALT), ``prob`` (the PIP), ``cs`` (the set's number in its region; -1: in none,
    left out and counted in the log) and, where present, ``p`` and ``low_purity``. A set is
    ``<region>:<cs>``. Low-purity sets are kept, their rows flagged (``low_purity``: 1 or TRUE).
    FinnGen's ``rsid`` holds a variant string (``chr1_12345_A_G``), not an rs number: not read.
``open_targets``
    The Open Targets Platform's ``credible_set`` dataset, one of its Parquet files or the same as
    JSON lines (read whole into memory): one row per credible set, of which ``studyLocusId`` (the
    set), ``studyId`` (its trait) and, of each struct of the ``locus`` list, ``variantId``
    (``1_154453788_C_T``), ``posteriorProbability``, ``is95CredibleSet`` and the p-value's
    ``pValueMantissa`` and ``pValueExponent`` (in ``marginalEffect`` or in the struct itself, as
    releases differ) are read, nothing else. Variants that ``is95CredibleSet`` marks false (of the
    99% set only) are left out and counted, and so are the long indels whose ``variantId`` the
    Platform replaced by a hash (``OTVAR_...``): their alleles are not in the file.
``table``
    A tab-separated table with a header (names in any case): ``trait``, ``credible_set``,
    ``chrom``, ``pos``, ``pip``, and ``ref`` and ``alt`` or ``rsid`` (also named ``id``) or all
    three; ``p_value`` optional. Without ``ref`` and ``alt`` (or where both are ``.``) the
    alleles are unknown: ``cisflow.variants.alleles.resolve_alleles`` makes REF the genome's base
    and ALT its three substitutions, as for the GWAS Catalog.

Alleles are strings of A, C, G and T; an indel keeps its bases (the variant checks flag it
later). Contig names lose ``chr`` and 23, 24, 25 become X, Y, MT. The PIPs of one credible set
(a trait and a set id) summing past 1.05 stop the read: that is not a file of credible sets.
"""

import difflib
import json
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import pyarrow.parquet as pq

from cisflow.io.errors import InputError
from cisflow.io.gwas_catalog import CHROMOSOME_NUMBERS, GROUP_SEPARATOR
from cisflow.io.pvalues import parse_p_values
from cisflow.io.textio import decode_line, delimited_chunks, open_bytes, read_header
from cisflow.types import PathLike

log = logging.getLogger(__name__)

COLUMNS = ["line", "trait", "credible_set", "chrom", "pos", "id", "ref", "alt", "pip", "p_value", "low_purity",
           "format"]
SITE_COLUMNS = ["chrom", "pos", "id", "ref", "alt", "line", "traits", "credible_sets", "pip", "p_value", "alt_from",
                "site"]
# role -> its column in the header (lower case); then the roles a file must have
FINNGEN = {"trait": "trait", "region": "region", "chrom": "chromosome", "pos": "position", "ref": "allele1",
           "alt": "allele2", "pip": "prob", "cs": "cs", "p_value": "p", "low_purity": "low_purity"}
FINNGEN_REQUIRED = ("trait", "region", "chrom", "pos", "ref", "alt", "pip", "cs")
TABLE = {"trait": "trait", "credible_set": "credible_set", "chrom": "chrom", "pos": "pos", "ref": "ref", "alt": "alt",
         "rsid": "rsid", "pip": "pip", "p_value": "p_value"}
TABLE_REQUIRED = ("trait", "credible_set", "chrom", "pos", "pip")
OPEN_TARGETS_NAMES = {"trait": "studyId", "credible_set": "studyLocusId", "chrom": "variantId's chromosome",
                      "pos": "variantId's position", "ref": "variantId's REF", "alt": "variantId's ALT",
                      "pip": "posteriorProbability"}
LOCUS_FIELDS = ("variantId", "posteriorProbability", "is95CredibleSet", "pValueMantissa", "pValueExponent")
EXPECTED = ("FinnGen's SuSiE .snp file (tab-separated: trait, region, chromosome, position, allele1, allele2, prob, "
            "cs), a credible-set table (tab-separated: trait, credible_set, chrom, pos, pip, and ref and alt or rsid) "
            "or Open Targets' credible_set dataset (Parquet or JSON lines: studyLocusId, studyId, locus)")
PIP_SUM_LIMIT = 1.05
MISSING_IDS = ("", ".", "NA")
_P_VALUE = pa.struct([("pValueMantissa", pa.float64()), ("pValueExponent", pa.int64())])
JSON_SCHEMA = pa.schema([("studyLocusId", pa.string()), ("studyId", pa.string()), ("locus", pa.list_(pa.struct([
    ("variantId", pa.string()), ("posteriorProbability", pa.float64()), ("is95CredibleSet", pa.bool_()),
    ("pValueMantissa", pa.float64()), ("pValueExponent", pa.int64()), ("marginalEffect", _P_VALUE)])))])
JSON_BLOCK = 1 << 28  # bytes pyarrow parses at once: past the longest line (a credible set of thousands of variants)


def read_credible_sets(path: PathLike, traits: Sequence[str] | None = None) -> pd.DataFrame:
    """The variants of the credible sets of a FinnGen, Open Targets or plain file (module docstring).

    Parameters
    ----------
    path : str or Path
        The file, gzipped or not (Parquet as it is); its format is found from its content.
    traits : sequence of str, optional
        Keep only the credible sets of these traits (``trait``, or ``studyId`` for Open Targets),
        any case. A trait the file lacks is an error that names the close ones.

    Returns
    -------
    DataFrame
        One row per (credible set, variant): ``line`` (int64: the file's line, the header being
        line 1; for Open Targets the credible set's row, 1-based: the Parquet row or the JSON
        record, blank lines not counted), ``trait``, ``credible_set``,
        ``chrom`` (``1``, ``X``), ``pos`` (int64, 1-based), ``id`` (the table's rsid where it
        gives one, else ``chrom:pos:ref:alt``), ``ref`` and ``alt`` (upper case; ``.`` where
        unknown), ``pip`` (float64 in [0, 1]), ``p_value`` (float64, NaN where the file has
        none), ``low_purity`` (bool: FinnGen's flag, False elsewhere) and ``format``
        (finngen_susie, open_targets or table).
    """
    keep = _Traits(traits)
    with open(path, "rb") as handle:
        parquet = handle.read(4) == b"PAR1"
    header = None if parquet else read_header(path)
    if header is None:
        rows = _open_targets(path, _read_parquet(path), keep)
    elif not header.names:
        raise InputError(path, f"empty file: expected {EXPECTED}")
    elif header.names[0].lstrip().startswith("{"):
        rows = _open_targets(path, _read_json(path), keep)
    else:
        rows = _read_text(path, header, keep)
    keep.check(path)
    if rows.empty:
        raise InputError(path, "no variant in any credible set" + (" of the traits asked for" if traits else ""))
    _check_pip_sums(path, rows)
    return rows


def credible_set_sites(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The variants to score and the rows that name them, as ``catalog_sites`` gives them for the Catalog.

    Parameters
    ----------
    rows : DataFrame
        ``read_credible_sets``'s rows.

    Returns
    -------
    variants : DataFrame
        One row per chrom, pos, ref and alt, in the order of the rows: ``chrom``, ``pos`` (int64),
        ``id``, ``ref``, ``alt``, ``line`` (int64) of its first row, ``traits`` and
        ``credible_sets`` (the distinct ones of its rows, `` | ``-joined), ``pip`` (the largest),
        ``p_value`` (the smallest), ``alt_from`` (``credible_set``, or empty where the alleles
        are unknown, for ``resolve_alleles``) and ``site`` (int64: 0, 1, ...).
    associations : DataFrame
        ``rows`` with the ``site`` (int64) of each.
    """
    keys = list(zip(rows["chrom"], rows["pos"], rows["ref"], rows["alt"]))
    site_of = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    site = np.array([site_of[key] for key in keys], dtype="int64")
    associations = rows.assign(site=site)
    grouped = associations.groupby("site", sort=True)
    variants = grouped[["chrom", "pos", "id", "ref", "alt", "line"]].first().assign(
        traits=_joined(site, rows["trait"], len(site_of)),
        credible_sets=_joined(site, rows["credible_set"], len(site_of)),
        pip=grouped["pip"].max(), p_value=grouped["p_value"].min()).reset_index()
    variants["alt_from"] = np.where(variants["alt"].eq("."), "", "credible_set")
    return variants[SITE_COLUMNS].astype({"pos": "int64", "line": "int64", "site": "int64"}), associations


def _joined(site, values, n_sites):
    """The distinct ``values`` of each site, in order, `` | ``-joined."""
    distinct = [{} for _ in range(n_sites)]
    for i, value in zip(site, values):
        distinct[i][value] = None
    return [GROUP_SEPARATOR.join(names) for names in distinct]


class _Traits:
    """Keeps the rows of the traits asked for (all without any), noting every trait seen and asked trait found."""

    def __init__(self, traits: Sequence[str] | None) -> None:
        self.wanted = {trait.strip().casefold(): trait for trait in traits or []}
        self.seen: set[str] = set()
        self.found: set[str] = set()

    def __call__(self, frame):
        self.seen.update(frame["trait"])
        if not self.wanted:
            return frame
        keys = frame["trait"].str.casefold()
        self.found.update(self.wanted[key] for key in set(keys) & self.wanted.keys())
        return frame[keys.isin(self.wanted.keys())]

    def check(self, path):
        hints = []
        for trait in self.wanted.values():
            if trait not in self.found:
                close = difflib.get_close_matches(trait, sorted(self.seen), n=3, cutoff=0.6)
                hints.append(f"{trait!r}" + (f" (close: {', '.join(map(repr, close))})" if close else ""))
        if hints:
            raise InputError(path, f"traits not found: {'; '.join(hints)}")


def _stop(path, bad, lines, problem):
    """An InputError at the first row ``bad`` marks (aligned with ``lines``); ``problem(i)`` says what is wrong."""
    where = np.flatnonzero(np.asarray(bad, dtype=bool))
    if where.size:
        raise InputError(path, problem(where[0]), int(np.asarray(lines)[where[0]]))


def _read_text(path, header, keep):
    """The rows of a FinnGen SuSiE file or a credible-set table, read in chunks of the columns needed."""
    names = {name.strip().lower(): name for name in header.names}
    if {"cs", "prob"} <= names.keys():
        fmt, roles, required = "finngen_susie", FINNGEN, FINNGEN_REQUIRED
    elif "credible_set" in names:
        fmt, roles, required = "table", TABLE, TABLE_REQUIRED
        names.setdefault("rsid", names.get("id"))
    else:
        shown = ", ".join(list(names.values())[:12]) + (" ..." if len(names) > 12 else "")
        raise InputError(path, f"not a file of credible sets: the header has {shown}; expected {EXPECTED}", header.line)
    missing = [roles[role] for role in required if roles[role] not in names]
    if fmt == "table":
        if ("ref" in names) != ("alt" in names):
            missing.append("alt" if "ref" in names else "ref")
        elif "ref" not in names and not names["rsid"]:
            missing.append("ref and alt, or rsid")
    if missing:
        raise InputError(path, f"{'FinnGen SuSiE' if fmt == 'finngen_susie' else 'credible-set table'}: "
                               f"no {', '.join(missing)} column", header.line)
    columns = {role: names[column] for role, column in roles.items() if names.get(column)}
    positions = {role: header.position(path, name.strip()) for role, name in columns.items()}
    parts, outside = [], 0
    for chunk in delimited_chunks(path, header, positions):
        roles_read = list(positions)
        chunk[roles_read] = chunk[roles_read].apply(lambda column: column.str.strip())
        chunk = keep(chunk[chunk[roles_read].ne("").any(axis=1)])
        if fmt == "finngen_susie":
            raw, left_out = _finngen(path, chunk)
            outside += left_out
        else:
            raw = _table(path, chunk)
        parts.append(_rows(path, raw, {role: columns.get(role, role) for role in roles}, fmt))
    if outside:
        log.info("%s: %d variants in no credible set (cs -1) left out", path, outside)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def _p_values(path, chunk, name):
    """The p-values of a chunk's ``p_value`` column (the file's ``name``), NaN where it has none."""
    if "p_value" not in chunk:
        return np.full(len(chunk), np.nan)
    return parse_p_values(chunk["p_value"].tolist(), path, chunk["line"].tolist(), name)[0]


def _finngen(path, chunk):
    """The rows of FinnGen lines in a credible set (common columns, as text), and how many lines were in none."""
    cs = chunk["cs"]
    _stop(path, ~cs.str.fullmatch(r"-?[0-9]+"), chunk["line"],
          lambda i: f"cs {cs.iat[i]!r} is not a credible-set number (-1: in none)")
    inside = cs.astype("int64").ne(-1)
    chunk = chunk[inside]
    purity = chunk["low_purity"].str.lower().isin(["1", "true"]) if "low_purity" in chunk else False
    raw = chunk[["line", "trait", "chrom", "pos", "ref", "alt", "pip"]].assign(
        credible_set=chunk["region"] + ":" + chunk["cs"], rsid="", p_value=_p_values(path, chunk, "p"),
        low_purity=purity)
    return raw, int((~inside).sum())


def _table(path, chunk):
    """The rows of a credible-set table (common columns, as text); alleles ``.`` where it has none."""
    unknown = pd.Series(".", index=chunk.index)
    return chunk[["line", "trait", "credible_set", "chrom", "pos", "pip"]].assign(
        ref=chunk.get("ref", unknown), alt=chunk.get("alt", unknown), rsid=chunk.get("rsid", ""),
        p_value=_p_values(path, chunk, "p_value"), low_purity=False)


def _rows(path, raw, names, fmt):
    """``raw`` (line, trait, credible_set, chrom, pos, ref, alt, rsid, pip, p_value, low_purity) checked and typed,
    as ``COLUMNS``; ``names`` gives the file's name of each role for the errors."""
    lines = raw["line"].to_numpy()
    for role in ("trait", "credible_set", "chrom"):
        _stop(path, raw[role].eq(""), lines, lambda i: f"empty {names[role]}")
    pos = raw["pos"]
    _stop(path, ~pos.str.fullmatch(r"0*[1-9][0-9]*"), lines,
          lambda i: f"{names['pos']} {pos.iat[i]!r} is not a positive integer")
    ref, alt = raw["ref"].str.upper(), raw["alt"].str.upper()
    bases = ref.str.fullmatch("[ACGT]+") & alt.str.fullmatch("[ACGT]+")
    _stop(path, ~(bases | (ref.eq(".") & alt.eq("."))), lines,
          lambda i: f"alleles {names['ref']} {raw['ref'].iat[i]!r} and {names['alt']} {raw['alt'].iat[i]!r} are not "
                    f"bases (A, C, G, T; several for an indel), nor both '.' (unknown)")
    pip = pd.to_numeric(raw["pip"], errors="coerce").to_numpy(dtype=float)

    def not_a_pip(i):
        value = raw["pip"].iat[i]  # text, or Open Targets' number
        shown = value if isinstance(value, float) else repr(value)
        return f"{names['pip']} {shown} is not a probability (a number in [0, 1])"

    _stop(path, ~((pip >= 0) & (pip <= 1)), lines, not_a_pip)
    chrom = raw["chrom"].str.replace("^chr", "", regex=True, case=False)
    chrom = chrom.map(lambda name: CHROMOSOME_NUMBERS.get(name, name))
    pos = pos.astype("int64")
    own = chrom + ":" + pos.astype(str) + ":" + ref + ":" + alt
    ids = raw["rsid"].where(~raw["rsid"].str.upper().isin(MISSING_IDS), own)
    return pd.DataFrame({
        "line": lines.astype("int64"), "trait": raw["trait"].to_numpy(), "credible_set": raw["credible_set"].to_numpy(),
        "chrom": chrom.to_numpy(), "pos": pos.to_numpy(), "id": ids.to_numpy(), "ref": ref.to_numpy(),
        "alt": alt.to_numpy(), "pip": pip, "p_value": raw["p_value"].to_numpy(dtype=float),
        "low_purity": raw["low_purity"].to_numpy(dtype=bool), "format": fmt},
        columns=COLUMNS).astype(dict.fromkeys(["trait", "credible_set", "chrom", "id", "ref", "alt", "format"], str))


def _read_parquet(path):
    """The columns of an Open Targets credible_set Parquet file that are read, and no others."""
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(path, f"not a readable Parquet file ({error})") from None
    paths = [column.path for column in parquet.schema]
    element = next((p.removesuffix(".variantId") for p in paths if p.startswith("locus.") and p.endswith(".variantId")),
                   None)  # locus.list.element as Spark and pyarrow write it
    fields = [p for p in paths if element and p.startswith(element + ".")
              and p[len(element) + 1:].removeprefix("marginalEffect.") in LOCUS_FIELDS]
    missing = [name for name in ("studyLocusId", "studyId") if name not in paths]
    missing += [f"locus.{leaf}" for leaf in ("variantId", "posteriorProbability") if f"{element}.{leaf}" not in fields]
    if missing:
        raise InputError(path, f"a Parquet file without {', '.join(missing)}: not Open Targets' credible_set dataset")
    try:
        return parquet.read(columns=["studyLocusId", "studyId", *fields])
    except (pa.ArrowException, OSError) as error:
        raise InputError(path, f"not a readable Parquet file ({error})") from None


def _read_json(path):
    """The fields read of Open Targets credible sets as JSON lines (the others ignored; absent ones null)."""
    with open_bytes(path) as handle:
        data = handle.read()
    if not data.isascii() and not _is_utf8(data):  # pyarrow would fail only once a string is converted
        _check_json_lines(path, data)
    try:
        return pajson.read_json(pa.BufferReader(data), read_options=pajson.ReadOptions(block_size=JSON_BLOCK),
                                parse_options=pajson.ParseOptions(explicit_schema=JSON_SCHEMA,
                                                                  unexpected_field_behavior="ignore"))
    except pa.ArrowInvalid as error:
        _check_json_lines(path, data)
        raise InputError(path, f"not Open Targets' credible sets as JSON lines ({error})") from None


def _is_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_json_lines(path, data):
    """An InputError naming the first line of ``data`` that is not UTF-8, or not a JSON object whose ``locus``
    is a list (or absent): what pyarrow reports without the line. Run only on a file found bad."""
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(decode_line(path, number, line))
        except json.JSONDecodeError as error:
            raise InputError(path, f"not JSON ({error.msg} at column {error.colno})", number) from None
        if not isinstance(record, dict) or not isinstance(record.get("locus", []), (list, type(None))):
            raise InputError(path, "not a credible set: a JSON object whose locus is a list of variants", number)


def _leaf(array, *names):
    """The field at ``names`` of a struct array, or None where the struct has no such field."""
    for name in names:
        if not pa.types.is_struct(array.type) or array.type.get_field_index(name) < 0:
            return None
        array = pc.struct_field(array, name)
    return array


def _numbers(array, size):
    return np.full(size, np.nan) if array is None else pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)


def _strings(table, name):
    return pd.Series(table.column(name).to_numpy(), dtype=object).fillna("").to_numpy()


def _open_targets(path, table, keep):
    """The rows of Open Targets credible sets: one per variant of each set's ``locus``."""
    locus = table.column("locus").combine_chunks()
    row = pc.list_parent_indices(locus).to_numpy()
    entries = pc.list_flatten(locus)
    size = len(entries)
    variant = pd.Series(_leaf(entries, "variantId").to_numpy(zero_copy_only=False), dtype=object).fillna("")
    in95 = _leaf(entries, "is95CredibleSet")
    in95 = np.ones(size, bool) if in95 is None else pc.fill_null(in95, True).to_numpy(zero_copy_only=False)
    hashed = variant.str.startswith("OTVAR_").to_numpy()
    p = {}
    for part in ("pValueMantissa", "pValueExponent"):
        nested = _numbers(_leaf(entries, "marginalEffect", part), size)
        p[part] = np.where(np.isnan(nested), _numbers(_leaf(entries, part), size), nested)
    raw = pd.DataFrame({
        "line": row + 1, "trait": _strings(table, "studyId")[row], "credible_set": _strings(table, "studyLocusId")[row],
        "variant": variant,
        "pip": _numbers(_leaf(entries, "posteriorProbability"), size),
        "p_value": p["pValueMantissa"] * 10.0 ** p["pValueExponent"]})
    if (~in95).any() or hashed.any():
        log.info("%s: %d variants of no 95%% credible set (is95CredibleSet false) and %d long indels named by a "
                 "hash (OTVAR_) left out", path, int((~in95).sum()), int((hashed & in95).sum()))
    raw = keep(raw[in95 & ~hashed])
    parts = raw["variant"].str.extract(r"^([^_]+)_([^_]+)_([^_]+)_([^_]+)$")
    _stop(path, parts[0].isna(), raw["line"],
          lambda i: f"locus variantId {raw['variant'].iat[i]!r} is not chromosome_position_ref_alt")
    raw = raw.assign(chrom=parts[0], pos=parts[1], ref=parts[2], alt=parts[3], rsid="", low_purity=False)
    return _rows(path, raw, OPEN_TARGETS_NAMES, "open_targets")


def _check_pip_sums(path, rows):
    sums = rows.groupby(["trait", "credible_set"], sort=False)["pip"].sum()
    over = sums[sums > PIP_SUM_LIMIT]
    if len(over):
        (trait, name), total = over.index[0], over.iloc[0]
        line = rows.loc[rows["trait"].eq(trait) & rows["credible_set"].eq(name), "line"].min()
        raise InputError(path, f"the PIPs of credible set {name!r} of {trait!r} sum to {total:.3g}, over "
                               f"{PIP_SUM_LIMIT}: not one credible set's variants (a file of another kind, such as "
                               f"every variant of a region, or several sets under one id?)", int(line))
