"""Write the samples sheet of the Basset study from Basset's targets.txt.

targets.txt (davek44/Basset) lists 164 DNase-seq peak files: `cell<TAB>encode/<file>` for ENCODE's
uniform peaks, `cell<TAB>roadmap/<file>` for Roadmap's hotspots. This maps each to its public URL.

    python tools/basset_samples.py targets.txt > config/basset_samples.tsv
"""

import re
import sys

SOURCES = {
    "encode": "https://hgdownload.cse.ucsc.edu/goldenPath/hg19/encodeDCC/wgEncodeAwgDnaseUniform/",
    "roadmap": "https://egg2.wustl.edu/roadmap/data/byFileType/peaks/consolidated/narrowPeak/"
               "archive_DNase_hotspot_peaks/",
}


def sample_rows(lines):
    for line in lines:
        if not line.strip():
            continue
        cell, path = (field.strip() for field in line.split("\t"))
        source, name = path.split("/", 1)
        yield re.sub(r"[^A-Za-z0-9_.-]", "_", cell), SOURCES[source] + name


def main(path):
    with open(path) as handle:
        rows = list(sample_rows(handle))
    print("sample\turl\tsha256")
    for sample, url in rows:
        print(f"{sample}\t{url}\t")


if __name__ == "__main__":
    main(sys.argv[1])
