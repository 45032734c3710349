"""From peaks and tables to the encoded dataset a model trains on.

``intervals`` (the intervals rule: peaks merged into fixed-width regions with a regions x samples
matrix), ``negatives`` (background windows and shuffles), ``promoters`` (TSS windows),
``sequences`` (region sequences out of the genome), ``gene_features`` (the gene_features rule:
Xpresso's mRNA half-life features per gene from an annotation), ``features`` (a promoters dataset's
per-gene features joined to its genes), and
``dataset`` (the one dataset format, its splits, and the dataset rule's build from every source).
"""
