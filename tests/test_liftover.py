"""Lifting variants between builds with a chain file: positions, strands, and what failed."""

import gzip

import pandas as pd

from cisflow.io.genome import open_genome
from cisflow.io.liftover import lift_counts, lift_variants
from cisflow.variants.checks import check_variants

# "build B" chrA 1-400 is the genome's chrA 101-500 (+), 411-1000 is 501-1090; bases 401-410
# were deleted; chrM 1-50 is the genome's chrA 1001-1050 on the minus strand.
CHAIN = ("chain 1000 chrA 1000 + 0 1000 chrA 2000 + 100 1090 1\n400\t10\t0\n590\n\n"
         "chain 500 chrM 50 + 0 50 chrA 2000 - 950 1000 2\n50\n\n")


def variants(*records):
    return pd.DataFrame([dict(chrom=c, pos=p, id=i, ref=r, alt=a, line=n + 1)
                         for n, (c, p, i, r, a) in enumerate(records)])


def test_positions_strands_and_failures(tmp_path, genome):
    fasta, records = genome
    seq = records["chrA"]
    chain = tmp_path / "bToA.over.chain.gz"
    with gzip.open(chain, "wt") as out:
        out.write(CHAIN)
    # 2000 - 950 = 1050: minus-strand block chrM 1..50 covers chrA 1001..1050 reversed
    minus_pos = 10  # chrM:10 -> chrA:1041, the complement strand
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    table = variants(("chrA", 201, "plus", seq[300], "N"), ("A", 300, "no_chr_prefix", seq[399], "N"),
                     ("chrA", 405, "deleted", "A", "G"), ("chrM", minus_pos, "minus", comp[seq[1040]], "N"),
                     ("chrQ", 5, "unknown_contig", "A", "G"))
    lifted = lift_variants(table, chain)
    assert lifted["lift"].tolist() == ["ok", "ok", "no_match", "ok", "no_match"]
    assert lifted["pos"].tolist() == [301, 400, 405, 1041, 5]
    assert lifted.loc[3, ["chrom", "ref", "alt"]].tolist() == ["chrA", seq[1040], "N"]
    assert lifted.loc[2, ["source_chrom", "source_pos"]].tolist() == ["chrA", 405]
    assert lift_counts(lifted) == {"ok": 3, "no_match": 2}
    checked = check_variants(lifted, open_genome(fasta), 40)
    assert checked.loc[checked["id"] == "deleted", "status"].item() == "unlifted"
    assert checked.loc[checked["id"] == "plus", "ref_match"].item()
    assert checked.loc[checked["id"] == "minus", "ref_match"].item()
    assert "source_pos" in checked and "lift" in checked
