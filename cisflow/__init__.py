"""cisflow: learn the regulatory code of DNA from sequence (library behind the Snakemake workflow)."""

__version__ = "0.1.0"
