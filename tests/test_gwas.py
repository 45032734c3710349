"""GWAS-catalog-style variant tables: columns found by name, errors that name the line."""

import pytest

from cisflow.io.errors import InputError
from cisflow.io.genome import open_genome
from cisflow.io.gwas import read_gwas_table
from cisflow.variants.checks import check_variants


def test_columns_are_found_by_their_usual_names_and_trait_and_p_value_carried(tmp_path, genome):
    fasta, records = genome
    seq = records["chrA"]
    path = tmp_path / "hits.csv"
    path.write_text("SNPS,CHR_ID,CHR_POS,Other_Allele,Effect_Allele,DISEASE/TRAIT,P-VALUE\n"
                    f"rs1,chrA,500,{seq[499]},{'A' if seq[499] != 'A' else 'C'},height,3e-12\n"
                    f".,chrA,800,{seq[799]},{'G' if seq[799] != 'G' else 'T'},asthma,1e-8\n")
    table = read_gwas_table(path)
    assert list(table.columns) == ["chrom", "pos", "id", "ref", "alt", "line", "trait", "p_value", "mlog10_p"]
    assert table["id"].tolist() == ["rs1", f"chrA:800:{seq[799]}:{table['alt'][1]}"]
    assert table["line"].tolist() == [2, 3] and table["p_value"].tolist() == [3e-12, 1e-8]
    assert table["mlog10_p"].tolist() == pytest.approx([11.5229, 8.0], abs=1e-4)
    checked = check_variants(table, open_genome(fasta), 40, "skip")
    assert checked["status"].tolist() == ["scored", "scored"] and checked["trait"].tolist() == ["height", "asthma"]


def test_a_tab_separated_table_with_the_plain_names(tmp_path):
    path = tmp_path / "hits.tsv"
    path.write_text("rsid\tchrom\tpos\tref\talt\nrs9\tchr1\t12\tA\tG\n")
    table = read_gwas_table(path)
    assert table.iloc[0][["id", "chrom", "pos", "ref", "alt"]].tolist() == ["rs9", "chr1", 12, "A", "G"]
    assert "trait" not in table


@pytest.mark.parametrize("text, message", [
    ("rsid\tchrom\tpos\tref\n", r"hits.tsv:1: no alt column \(looked for alt, effect_allele, risk_allele\); "
                                r"the header has rsid, chrom, pos, ref"),
    ("rsid\tchrom\tpos\tref\talt\n", r"hits.tsv: no variants below the header"),
    ("rsid\tchrom\tpos\tref\talt\nrs1\tchr1\t5\tA\tG\nrs2\tchr1\t2.5e6\tA\tG\n",
     r"hits.tsv:3: position '2.5e6' is not a positive integer"),
    ("rsid\tchrom\tpos\tref\talt\nrs1\tchr1\t5\t\tG\n", r"hits.tsv:2: empty ref"),
    ("rsid\tchrom\tpos\tref\talt\tp\nrs1\tchr1\t5\tA\tG\tabc\n", r"hits.tsv:2: p_value 'abc' is not a p-value"),
    ("", r"hits.tsv: empty file"),
])
def test_malformed_tables_name_file_line_and_problem(tmp_path, text, message):
    path = tmp_path / "hits.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_gwas_table(path)


def test_config_takes_a_vcf_or_a_table_but_not_both(tmp_path):
    from cisflow.config.schema import validate
    from tests.workflow_helpers import ROOT, demo_config

    schema = ROOT / "cisflow" / "schemas" / "config.schema.yaml"
    config = demo_config()
    config["variants"]["gwas"] = {"table": {"url": "hits.tsv"}}
    assert validate(config, schema, "c.yaml")["variants"]["gwas"]["max_ref_mismatch"] == 0.05
    config["variants"]["gwas"]["vcf"] = {"url": "x.vcf"}
    with pytest.raises(Exception, match="variants.gwas"):
        validate(config, schema, "c.yaml")


def test_a_csv_quoting_its_fields_keeps_the_lines_of_its_records(tmp_path):
    path = tmp_path / "hits.csv"
    path.write_text('rsid,chrom,pos,ref,alt,trait\nrs1,chr1,5,A,G,"Height, adult"\n\n'
                    'rs2,chr1,9,C,T,"a trait\nover two lines"\nrs3,chr1,x,A,G,BMI\n')
    with pytest.raises(InputError, match=rf"^{path}:6: position 'x' is not a positive integer"):
        read_gwas_table(path)
    path.write_text('rsid,chrom,pos,ref,alt,trait\nrs1,chr1,5,A,G,"Height, adult"\nrs2,chr1,9,C,T,"open quote\n')
    with pytest.raises(InputError, match=rf"^{path}:3: unexpected end of data \(a quote left open"):
        read_gwas_table(path)
    path.write_text('rsid,chrom,pos,ref,alt,trait\nrs1,chr1,5,A,G,Height, adult\n')
    with pytest.raises(InputError, match=rf"^{path}:2: 7 fields, but the header has 6$"):
        read_gwas_table(path)
    path.write_text('rsid,chrom,pos,ref,alt,trait\nrs1,chr1,5,A,G,"Height, adult",,\n')  # a spreadsheet's padding
    assert read_gwas_table(path)["trait"].tolist() == ["Height, adult"]


@pytest.mark.parametrize("ref, alt", [("N", "G"), ("A", "N"), ("R", "A")])
def test_an_ambiguous_allele_of_a_table_gets_its_status(tmp_path, genome, ref, alt):
    fasta, _ = genome
    path = tmp_path / "hits.tsv"
    path.write_text(f"rsid\tchrom\tpos\tref\talt\nrs1\tchrA\t500\t{ref}\t{alt}\n")
    checked = check_variants(read_gwas_table(path), open_genome(fasta), 40, "skip")
    assert checked["status"].tolist() == ["ambiguous_allele"] and checked["score_ref"].isna().all()
