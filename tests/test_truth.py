"""Truth tables: id and effect, 1/0 or words in any case, checked before scoring."""

import pytest

from cisflow.io.errors import InputError
from cisflow.io.truth import read_truth


@pytest.mark.parametrize("positive, negative", [("destroys", "neutral"), ("Destroys", "NEUTRAL"), ("1", "0"),
                                                ("true", "False")])
def test_effect_spellings(tmp_path, positive, negative):
    path = tmp_path / "truth.tsv"
    path.write_text(f"ID\tEffect\tmotif\nrs1\t{positive}\tCTCF\nrs2\t{negative}\t\nrs3\tcreates\t\n")
    truth = read_truth(path)
    assert truth["id"].tolist() == ["rs1", "rs2", "rs3"]
    assert truth["positive"].tolist()[:2] == [True, False] and truth["positive"].isna().tolist()[2]


@pytest.mark.parametrize("text, message", [
    ("id,effect\nrs1,destroys\n", r"truth.tsv:1: a truth table needs the columns id and effect .*no id or effect"),
    ("variant\teffect\nrs1\tdestroys\n", r"truth.tsv:1: .*no id in the header: variant, effect"),
    ("id\teffect\n", r"truth.tsv: no rows below the header"),
    ("id\teffect\nrs1\tdestorys\nrs2\tneutral\n", r"truth.tsv: no positive row: .*it holds destorys, neutral"),
    ("id\teffect\nrs1\t1\nrs2\t1\n", r"truth.tsv: no negative row"),
])
def test_a_truth_table_in_another_shape_is_refused_before_scoring(tmp_path, text, message):
    path = tmp_path / "truth.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_truth(path)
