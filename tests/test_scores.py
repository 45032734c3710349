"""The ranked variants as written: the headline columns and the per-output Parquet file."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from cisflow.variants import scores
from cisflow.variants.scores import headline_table, per_output_columns, write_scores
from cisflow.variants.scoring import rank_variants

TARGETS = ["K562", "HeLa-S3"]


def scored_table(n=5):
    """A calibrated table of ``n`` rows by hand: row i has sad i/10 and -i/5, the last row unscored."""
    i = np.arange(n, dtype=float)
    unscored = i == n - 1
    values = {f"{prefix}_{target}": np.where(unscored, np.nan, scale * i)
              for prefix, scales in (("ref", (0.5, 0.25)), ("alt", (0.6, 0.05)), ("sad", (0.1, -0.2)),
                                     ("logodds", (1.0, -2.0)), ("z", (3.0, -1.0)), ("p", (0.5, 0.25)))
              for target, scale in zip(TARGETS, scales)}
    return pd.DataFrame({
        "id": [f"rs{k}" for k in range(n)], "chrom": "chr1", "pos": np.arange(100, 100 + n), "ref": "A",
        "alt": "G", "ref_match": True, "status": np.where(unscored, "contig_missing", "scored"),
        "score_ref": [None if u else "A" for u in unscored], "traits": "", "site": np.arange(n),
        "duplicate_of": pd.array([pd.NA] * n, dtype="Int64"), **values,
        "max_abs_sad": np.where(unscored, np.nan, 0.2 * i),
        "top_target": [None if u else ("K562" if k % 2 else "HeLa-S3") for k, u in enumerate(unscored)],
        "max_abs_z": np.where(unscored, np.nan, 3.0 * i), "empirical_p": np.where(unscored, np.nan, 0.5),
        "score": np.where(unscored, np.nan, 3.0 * i)})


def test_headline_table_keeps_what_is_not_per_output_and_the_top_outputs_values():
    ranked = rank_variants(scored_table())
    table = headline_table(ranked, TARGETS, "classification")
    assert per_output_columns(table, TARGETS) == []
    assert [c for c in table.columns if c.startswith("top_")] == ["top_target", "top_effect", "top_sad",
                                                                 "top_ref_pred", "top_alt_pred", "top_z"]
    assert "ref_match" in table and len(table) == len(ranked)
    for _, row in table.dropna(subset=["score"]).iterrows():
        source = ranked.loc[ranked["id"] == row["id"]].iloc[0]
        for name, prefix in (("top_effect", "logodds"), ("top_sad", "sad"), ("top_ref_pred", "ref"),
                             ("top_alt_pred", "alt"), ("top_z", "z")):
            assert row[name] == source[f"{prefix}_{row['top_target']}"]
    assert table.iloc[-1][["top_effect", "top_sad", "top_z"]].isna().all()


def test_headline_table_of_regression_has_sad_as_its_effect_and_no_z_uncalibrated():
    ranked = rank_variants(scored_table().drop(columns=[f"{p}_{t}" for p in ("z", "p", "logodds") for t in TARGETS]))
    table = headline_table(ranked, TARGETS, "regression")
    assert "top_z" not in table and (table["top_effect"].dropna() == table["top_sad"].dropna()).all()


def test_write_scores_keeps_every_column_and_row_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(scores, "ROW_GROUP", 2)  # several row groups; the unscored row's strings in the last
    ranked = rank_variants(scored_table(7))
    table = headline_table(ranked, TARGETS, "classification")
    write_scores(table, ranked, tmp_path / "s.parquet", TARGETS)
    assert pq.ParquetFile(tmp_path / "s.parquet").num_row_groups == 4
    back = pd.read_parquet(tmp_path / "s.parquet")
    per_output = per_output_columns(ranked, TARGETS)
    assert list(back.columns) == list(table.columns) + per_output and len(per_output) == 12
    assert (back[per_output].dtypes == np.float32).all()
    np.testing.assert_array_equal(back[per_output].to_numpy(), ranked[per_output].to_numpy(np.float32))
    pd.testing.assert_frame_equal(back[table.columns], table, check_dtype=False)
    assert back["rank"].dtype == "Int64" and back["rank"].isna().sum() == 1


def test_write_scores_of_no_row_and_of_an_unscored_row(tmp_path):
    ranked = rank_variants(scored_table(1))
    table = headline_table(ranked, TARGETS, "classification")
    write_scores(table.iloc[:0], ranked.iloc[:0], tmp_path / "none.parquet", TARGETS)
    write_scores(table, ranked, tmp_path / "one.parquet", TARGETS)
    none, one = pd.read_parquet(tmp_path / "none.parquet"), pd.read_parquet(tmp_path / "one.parquet")
    assert len(none) == 0 and list(none.columns) == list(one.columns)
    assert one["status"].item() == "contig_missing" and one["z_K562"].isna().all()


def test_write_scores_leaves_no_file_when_it_fails(tmp_path):
    ranked = rank_variants(scored_table())
    table = headline_table(ranked, TARGETS, "classification")
    ranked = ranked.assign(sad_K562=ranked["sad_K562"].astype(object).where(ranked["rank"] != 1, "text"))
    with pytest.raises(ValueError, match="could not convert string to float"):
        write_scores(table, ranked, tmp_path / "bad.parquet", TARGETS)
    assert list(tmp_path.iterdir()) == []
