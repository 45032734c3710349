"""JASPAR motifs read offline from the databases inside pyjaspar."""

import numpy as np
import pytest

from cisflow.interpret.jaspar import JasparMotif, load_jaspar
from cisflow.io.errors import ConfigError


@pytest.fixture(scope="module")
def vertebrates():
    return load_jaspar("JASPAR2024", "vertebrates", "CORE")


def by_name(motifs, name):
    return [m for m in motifs if m.name == name]


def consensus(motif):
    return "".join("ACGT"[i] for i in motif.probabilities.argmax(axis=1))


def test_finds_ctcf_and_gata1(vertebrates):
    ctcf_ids = {m.matrix_id for m in by_name(vertebrates, "CTCF")}
    assert any(i.startswith("MA0139.") for i in ctcf_ids)
    assert by_name(vertebrates, "GATA1")
    assert 800 < len(vertebrates) < 1000  # JASPAR2024 CORE has 879 vertebrate matrices


def test_probabilities_are_rows_of_acgt(vertebrates):
    ctcf = next(m for m in vertebrates if m.matrix_id.startswith("MA0139."))
    assert isinstance(ctcf, JasparMotif)
    assert ctcf.probabilities.shape == (ctcf.length, 4)
    assert "CCACCAGGGGGCGC" in consensus(ctcf)  # CTCF's core motif, in ACGT column order
    for motif in vertebrates:
        assert np.allclose(motif.probabilities.sum(axis=1), 1)


def test_gata1_consensus(vertebrates):
    gata1 = next(m for m in by_name(vertebrates, "GATA1") if m.matrix_id.startswith("MA0035."))
    assert "ATCT" in consensus(gata1)  # reverse complement of GATA1's AGAT(A/T)A


def test_cached_and_returns_fresh_lists(vertebrates):
    again = load_jaspar("JASPAR2024", ["vertebrates"], "CORE")
    assert again is not vertebrates
    assert all(a is b for a, b in zip(again, vertebrates))
    assert not again[0].probabilities.flags.writeable


def test_tax_group_list_and_all():
    plants = load_jaspar("JASPAR2024", "plants")
    both = load_jaspar("JASPAR2024", ["vertebrates", "plants"])
    everything = load_jaspar("JASPAR2024", None)
    vertebrate_ids = {m.matrix_id for m in load_jaspar("JASPAR2024", "vertebrates")}
    assert {m.matrix_id for m in both} == vertebrate_ids | {m.matrix_id for m in plants}
    assert len(everything) > len(both)


def test_an_unknown_release_or_a_tax_group_without_motifs_names_its_config_key():
    with pytest.raises(ConfigError, match=r"^interpret.jaspar_release: unknown JASPAR release 'JASPAR1999'; "
                                          r"pyjaspar has .*JASPAR2024"):
        load_jaspar("JASPAR1999", "vertebrates")
    with pytest.raises(ConfigError, match=r"^interpret.tax_group: JASPAR2024 has no CORE motifs for tax group\(s\) "
                                          r"vertebrate$"):
        load_jaspar("JASPAR2024", "vertebrate")
