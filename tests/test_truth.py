"""Truth tables: id and effect, 1/0 or words in any case, checked before scoring."""

import pytest

from cisflow.io.errors import InputError
from cisflow.io.truth import match_truth, read_truth


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


def forty_ids(tmp_path):
    path = tmp_path / "truth.tsv"
    path.write_text("id\teffect\n" + "".join(f"1:{1000 + i}\t{'destroys' if i % 2 else 'neutral'}\n" for i in range(40))
                    + "rs9\tcreates\n")
    return path, read_truth(path)


def test_a_truth_table_none_of_whose_ids_is_in_the_variant_set_is_refused(tmp_path):
    path, truth = forty_ids(tmp_path)
    with pytest.raises(InputError) as caught:
        match_truth(truth, ["rs1", "rs2", "rs9", "rs4", "rs5"], path)
    assert str(caught.value) == (f"{path}: none of its 40 ids (destroys or neutral) is in the variant set of 5 ids "
                                 "(the truth's look like 1:1000 / 1:1001 / 1:1002 ...; the variant set's like rs1 / "
                                 "rs2 / rs9 ...): the truth AUROC would have nothing to rank")


def test_few_truth_ids_in_the_variant_set_are_counted_in_the_log(tmp_path, caplog):
    path, truth = forty_ids(tmp_path)
    assert match_truth(truth, [f"1:{1000 + i}" for i in range(12)], path) == 12
    assert f"{path}: only 12 of its 40 ids (destroys or neutral) are in the variant set" in caplog.text
    caplog.clear()
    assert match_truth(truth, [f"1:{1000 + i}" for i in range(20)], path) == 20
    assert caplog.text == ""


@pytest.mark.parametrize("text, message", [
    ("id\teffect\n\tdestroys\nrs2\tneutral\n", "truth.tsv:2: no id in this row"),
    ("id\teffect\nrs1\tdestroys\nrs2\tneutral\nrs1\t0\n", "truth.tsv:4: id 'rs1' is '0' here and 'destroys' at line 2"),
    ("id\teffect\nrs1\tdestroys\nrs2\tneutral\textra\n", "truth.tsv:3: 3 fields, but the header has 2"),
    ("", "truth.tsv: the truth table is empty"),
])
def test_a_truth_row_at_fault_is_named_by_its_line(tmp_path, text, message):
    path = tmp_path / "truth.tsv"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_truth(path)
    assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_an_id_repeated_with_the_same_effect_is_one_id(tmp_path):
    path = tmp_path / "truth.tsv"
    path.write_text("id\teffect\nrs1\tdestroys\nrs2\tneutral\nrs1\t1\n")
    assert read_truth(path)["positive"].tolist() == [True, False, True]
