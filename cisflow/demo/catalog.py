"""The demo's GWAS Catalog associations file: the demo's SNPs as associations of four traits.

Each trait's SNPs are those destroying one motif's sites (its cell type), plus some neutral ones, as a real
trait's hits mix regulatory and other variants; 'body height' has neutral SNPs only. The file has the Catalog's
own header and columns, contigs named as the Catalog names them (19, not chr19), and the rows real files hold
that need a status: a SNP reported by two studies, a haplotype, an interaction, an unmapped id, a p-value
written '1 x 10-8'.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from cisflow.demo.variants import Variant

CATALOG_TRAITS = {  # trait: (DISEASE/TRAIT, EFO id, TF of the destroyed sites or None, neutral SNPs)
    "erythrocyte count": ("Red blood cell count", "EFO_0004305", "GATA1::TAL1", 4),
    "lymphocyte count": ("Lymphocyte count", "EFO_0004587", "CTCF", 4),
    "body mass index": ("Body mass index", "EFO_0004340", "SP1", 4),
    "body height": ("Height", "EFO_0004339", None, 24),
}
CATALOG_HEADER = ("DATE ADDED TO CATALOG", "PUBMEDID", "FIRST AUTHOR", "DATE", "JOURNAL", "LINK", "STUDY",
                  "DISEASE/TRAIT", "INITIAL SAMPLE SIZE", "REPLICATION SAMPLE SIZE", "REGION", "CHR_ID", "CHR_POS",
                  "REPORTED GENE(S)", "MAPPED_GENE", "UPSTREAM_GENE_ID", "DOWNSTREAM_GENE_ID", "SNP_GENE_IDS",
                  "UPSTREAM_GENE_DISTANCE", "DOWNSTREAM_GENE_DISTANCE", "STRONGEST SNP-RISK ALLELE", "SNPS", "MERGED",
                  "SNP_ID_CURRENT", "CONTEXT", "INTERGENIC", "RISK ALLELE FREQUENCY", "P-VALUE", "PVALUE_MLOG",
                  "P-VALUE (TEXT)", "OR or BETA", "95% CI (TEXT)", "PLATFORM [SNPS PASSING QC]", "CNV", "MAPPED_TRAIT",
                  "MAPPED_TRAIT_URI", "STUDY ACCESSION", "GENOTYPING TECHNOLOGY")


def catalog_row(study: int, trait: str, snps: str, risks: str, chroms: str, positions: str, p_exponent: int,
                mantissa: float = 1.0, written: str | None = None) -> str:
    """One line of the GWAS Catalog's associations file, its columns as the Catalog fills them."""
    reported, efo = CATALOG_TRAITS[trait][:2]
    p_value = written or f"{mantissa:.0f}E-{p_exponent}"
    fields = dict.fromkeys(CATALOG_HEADER, "")
    fields.update({
        "DATE ADDED TO CATALOG": "2024-01-15", "PUBMEDID": str(30000000 + study), "FIRST AUTHOR": "Demo A",
        "DATE": "2023-06-01", "JOURNAL": "Demo Genet", "LINK": f"www.ncbi.nlm.nih.gov/pubmed/{30000000 + study}",
        "STUDY": f"A synthetic genome-wide association study of {reported.lower()}.", "DISEASE/TRAIT": reported,
        "INITIAL SAMPLE SIZE": "100,000 European ancestry individuals", "CHR_ID": chroms, "CHR_POS": positions,
        "REPORTED GENE(S)": "NR", "MAPPED_GENE": "DEMO1", "STRONGEST SNP-RISK ALLELE": risks, "SNPS": snps,
        "MERGED": "0", "CONTEXT": "intergenic_variant", "INTERGENIC": "1", "RISK ALLELE FREQUENCY": "NR",
        "P-VALUE": p_value, "PVALUE_MLOG": f"{p_exponent - np.log10(mantissa):.6g}", "OR or BETA": "0.05",
        "95% CI (TEXT)": "[0.03-0.07] unit increase", "PLATFORM [SNPS PASSING QC]": "Illumina [9000000] (imputed)",
        "CNV": "N", "MAPPED_TRAIT": trait, "MAPPED_TRAIT_URI": f"http://www.ebi.ac.uk/efo/{efo}",
        "STUDY ACCESSION": f"GCST9{study:05d}", "GENOTYPING TECHNOLOGY": "Genome-wide genotyping array",
    })
    if snps.startswith("rs") and ";" not in snps and " x " not in snps:
        fields["SNP_ID_CURRENT"] = snps[2:]
    return "\t".join(fields[column] for column in CATALOG_HEADER)


def catalog_text(rng: np.random.Generator, variants: Sequence["Variant"]) -> str:
    """The demo's GWAS Catalog associations file (see ``CATALOG_TRAITS``), and the rows real files have that
    need a status: a SNP reported by two studies, a haplotype, an interaction, an unmapped id, a p-value written
    '1 x 10-8'. Risk alleles: the destroying base for most SNPs, the reference base or '?' for some (their other
    allele is then unknown). Contigs are named as the Catalog names them (19, not chr19)."""
    neutral = [v for v in variants if v.effect == "neutral"]
    order = rng.permutation(len(neutral))
    lines, used, study = [], 0, 0
    for trait, (_, _, tf, n_neutral) in CATALOG_TRAITS.items():
        study += 1
        members = [v for v in variants if v.effect == "destroys" and v.motif == tf] if tf else []
        members += [neutral[i] for i in order[used : used + n_neutral]]
        used += n_neutral
        for variant in members:
            draw = rng.random()
            allele = variant.alt if draw < 0.7 else variant.ref if draw < 0.85 else "?"
            lines.append(catalog_row(study, trait, variant.id, f"{variant.id}-{allele}", variant.chrom[3:],
                                     str(variant.pos), int(rng.integers(8, 40)), float(rng.uniform(1, 9.9))))
    first = next(v for v in variants if v.effect == "destroys" and v.motif == "GATA1::TAL1")
    pair = [neutral[i] for i in (order[used : used + 2] if len(order) >= used + 2 else order[:2])]
    odd = [
        catalog_row(9, "erythrocyte count", first.id, f"{first.id}-?", first.chrom[3:], str(first.pos), 8,
                    written="1 x 10-8"),
        catalog_row(10, "body height", "; ".join(v.id for v in pair), "; ".join(f"{v.id}-?" for v in pair),
                    ";".join(v.chrom[3:] for v in pair), ";".join(str(v.pos) for v in pair), 9),
        catalog_row(11, "body height", " x ".join(v.id for v in pair), " x ".join(f"{v.id}-?" for v in pair),
                    " x ".join(v.chrom[3:] for v in pair), " x ".join(str(v.pos) for v in pair), 8),
        catalog_row(12, "body height", "kgp22760418", "kgp22760418-A", "", "", 9),
    ]
    return "\t".join(CATALOG_HEADER) + "\n" + "\n".join(lines + odd) + "\n"
