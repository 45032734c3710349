"""Lifting variants between builds with a chain file: positions, strands, and what failed."""

import gzip
import re

import pandas as pd
import pytest

from cisflow.io.errors import InputError
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
    checked = check_variants(lifted, open_genome(fasta), 40, "skip")
    assert checked.loc[checked["id"] == "deleted", "status"].item() == "unlifted"
    assert checked.loc[checked["id"] == "plus", "ref_match"].item()
    assert checked.loc[checked["id"] == "minus", "ref_match"].item()
    assert "source_pos" in checked and "lift" in checked


GOOD = "chain 1000 chrA 1000 + 0 1000 chrA 2000 + 100 1090 1\n400\t10\t0\n590\n\n"


@pytest.mark.parametrize("text, line, problem", [
    (GOOD + "abc\n", 5, r"'abc' is not a chain header \('chain score tName .*'\) and follows none"),
    ("chain 1000 chrA 1000 + 0 1000 chrA 2000 + 100 1090 1\n400\t10\n590\n", 2,
     r"'400 10' is not an alignment line: 'size dt dq' \(numbers\), or the chain's last 'size'"),
    ("chain 1000 chrA 1000 + 0 1000 chrA 2000 + 100 1090 1\n400\t10\t0\textra\n590\n", 2, r"'400 10 0 extra' is not"),
    ("chain 1000 chrA 1000 + 0 1000 chrA\n400\t10\t0\n590\n", 1, r"'chain 1000 chrA 1000 \+ 0 1000 chrA' is not a "
                                                                 r"chain header"),
    ("chain 1000 chrA 1000 + 0 1000 chrA 2000 + 100 1090 1\n400\t10\t0\n500\n", 3,
     r"the blocks of the chain on line 1 do not add up to its header's spans"),
    ("chain 1000 chrA 1000 + 0 1000 chrA 2000 + 100 1090 1\n400\t10\t0\n", 3,
     r"the chain on line 1 ends without its last block \(a size alone\): a truncated file\?"),
    ("", None, r"holds no chain: an empty file, or not a UCSC chain file"),
    ("# only a comment\n", None, r"holds no chain"),
])
def test_a_chain_file_the_format_refuses_is_named_by_line(tmp_path, text, line, problem):
    chain = tmp_path / "b.over.chain"
    chain.write_text(text)
    where = f"{chain}:{line}" if line else f"{chain}"
    with pytest.raises(InputError, match=rf"^{re.escape(where)}: {problem}"):
        lift_variants(variants(("chrA", 201, "plus", "A", "G")), chain)


def test_a_truncated_or_missing_chain_file(tmp_path):
    chain = tmp_path / "b.over.chain.gz"
    whole = gzip.compress((GOOD * 200).encode())
    chain.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=rf"^{re.escape(str(chain))}:\d+: truncated gzip file"):
        lift_variants(variants(("chrA", 201, "plus", "A", "G")), chain)
    with pytest.raises(InputError, match=r"none.chain: chain file not found"):
        lift_variants(variants(("chrA", 201, "plus", "A", "G")), tmp_path / "none.chain")
