"""A simulated Basset case at hg19's size: the inputs of bench/bench_basset_scale.py, also for runs by hand.

    python bench/scale_data.py DIR [--scale 1] [--samples 164] [--seed 0]

writes into DIR (nothing of it belongs in the repository):

- hg19.fa.gz: hg19's 24 primary contigs at their lengths (times --scale), 60 bases a line, gzipped
  in one stream as UCSC serves it. Random bases, about 41% GC with CpG depletion; N at the
  telomeres, the centromeres, the short arms of the acrocentric contigs, chrY's heterochromatin
  and a gap every few Mb; about half the sequence soft-masked (lower case) in stretches, as
  repeats are.
- peaks/<sample>.narrowPeak.gz: 164 samples (Basset's names, from config/basset_samples.tsv), each
  30,000-70,000 peaks (times --scale) with summits, sorted and gzipped like ENCODE's. Peaks sit at
  regulatory sites, which lie in clusters along the genome and are shared by samples to a skewed
  extent: at full size about 8.4M peaks that merge into about 1.5M regions of 600 bp.
- samples.tsv: the samples sheet, in the format of config/basset_samples.tsv (absolute paths).
- blacklist.bed.gz: 411 regions (times --scale), the size of ENCODE's hg19 blacklist.
- variants.vcf.gz: 200,000 SNPs (times --scale), half of them within 300 bp of a site, REF read
  from the genome as it is written.
- config.yaml: a Basset-style config on these files: one peaks dataset (600 bp, chr8 valid, chr9
  test), a small Basset and one epoch of 100 steps, the SNPs scored. Written last: a directory
  with a config.yaml is complete.

Everything is made and written a chunk at a time (CHUNK_LINES lines of sequence, one sample's
peaks), so memory is set by a chunk and the site list, not by the genome; compression (gzip level
1) runs in a thread beside the generation. --scale 0.05 (155 Mb, 65 MB written) takes 3.3
CPU-seconds and 113 MB of memory; the full size should take some 20 times that time (about 1.3 GB
written) and a few hundred MB.
"""

import argparse
import csv
import gzip
import os
import queue
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# hg19's 24 primary contigs (UCSC chromInfo), in the order of its FASTA.
HG19 = {
    "chr1": 249_250_621, "chr2": 243_199_373, "chr3": 198_022_430, "chr4": 191_154_276, "chr5": 180_915_260,
    "chr6": 171_115_067, "chr7": 159_138_663, "chr8": 146_364_022, "chr9": 141_213_431, "chr10": 135_534_747,
    "chr11": 135_006_516, "chr12": 133_851_895, "chr13": 115_169_878, "chr14": 107_349_540,
    "chr15": 102_531_392, "chr16": 90_354_753, "chr17": 81_195_210, "chr18": 78_077_248, "chr19": 59_128_983,
    "chr20": 63_025_520, "chr21": 48_129_895, "chr22": 51_304_566, "chrX": 155_270_560, "chrY": 59_373_566,
}
ACROCENTRIC = ("chr13", "chr14", "chr15", "chr21", "chr22")  # short arm all N in hg19
SAMPLES = 164
PEAKS_PER_SAMPLE = (30_000, 70_000)
SNPS = 200_000
BLACKLIST = 411

LINE_WIDTH = 60
CHUNK_LINES = 1 << 17  # 7.9 Mb of sequence made and written at a time
COMPRESSLEVEL = 1  # DNA at level 6 compresses 10x slower for 10% less

# The genome's make-up.
TELOMERE = 10_000
CENTROMERE = 0.02  # of the contig's length
SHORT_ARM = 0.15  # of an acrocentric contig's length
CHRY_HETEROCHROMATIN = 0.52  # the end of chrY
GAP_EVERY = 5_000_000  # one smaller gap in this many bases
GAP_SIZES = (100, 50_000)  # log-uniform
BASE_TABLE = np.repeat(np.arange(4, dtype=np.uint8), [70, 58, 58, 70])  # random byte -> A, C, G, T (45% GC)
CPG_KEPT = 0.2  # the rest decays to TpG or CpA: about 41% GC in all
REPEAT_MEAN = 350  # mean length of a soft-masked stretch and of the stretch between two
UPPER = np.frombuffer(b"ACGTN", np.uint8)

# The peaks.
SITE_MARGIN = 2_000  # sites keep this far from N blocks and contig ends
# Sites per peak of all samples, sites a cluster, how far they spread and how unevenly the samples
# share them, set so that the peaks merge into regions as Basset's do: 8.4M peaks, 1.5M regions of
# 600 bp at full size (some sites are never taken; sites of a cluster within 600 bp merge).
SITES_PER_PEAK = 0.5
CLUSTER_SITES = 2.0  # mean sites a cluster
CLUSTER_REACH = 5_000  # a cluster's sites lie within this many bp of its centre
SHARING = 0.8  # sigma of the log-normal popularity of a site among samples
SUMMIT_JITTER = 20  # a site's summit in one sample, against the site
PEAK_WIDTH = (150, 600)
SNP_NEAR_SITE = 300
STEPS = 100  # training steps (batches of 128) of the config's one epoch: enough to measure its rate
_KEY = 1 << 40  # > any contig length: (contig, position) pairs as one sortable int64


def contig_sizes(scale):
    """{contig: length} of hg19's primary contigs times ``scale`` (at least 10 kb)."""
    return {name: max(10_000, round(length * scale)) for name, length in HG19.items()}


def gaps(rng, contig, length):
    """(blocks, 2) int64 array of the contig's N blocks, sorted and disjoint (half-open)."""
    telomere = min(TELOMERE, length // 20)
    blocks = [(0, telomere), (length - telomere, length)]
    if contig in ACROCENTRIC:
        blocks.append((0, round(SHORT_ARM * length)))
    else:
        start = round(rng.uniform(0.3, 0.45) * length)
        blocks.append((start, start + round(CENTROMERE * length)))
    if contig == "chrY":
        blocks.append((round(CHRY_HETEROCHROMATIN * length), length))
    n = max(1, length // GAP_EVERY)
    sizes = np.exp(rng.uniform(*np.log(GAP_SIZES), n)).astype(np.int64)
    sizes = np.minimum(sizes, length // 100)
    starts = rng.integers(0, length - sizes)
    blocks += zip(starts.tolist(), (starts + sizes).tolist())
    merged = []
    for start, end in sorted(blocks):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return np.array(merged, dtype=np.int64)


def segments(blocks, length, margin):
    """(segments, 2) array of the sequence between N blocks, each shrunk by ``margin`` a side."""
    edges = np.concatenate([[0], blocks.ravel(), [length]]).reshape(-1, 2)
    edges = edges + [margin, -margin]
    return edges[edges[:, 1] > edges[:, 0]]


def uniform_positions(rng, spans, n):
    """``n`` (contig index, position) pairs uniform over ``spans``, a (spans, 3) array of contig
    index, start and end."""
    lengths = spans[:, 2] - spans[:, 1]
    which = rng.choice(len(spans), size=n, p=lengths / lengths.sum())
    return spans[which, 0], spans[which, 1] + (rng.random(n) * lengths[which]).astype(np.int64)


def make_sites(rng, spans, n):
    """About ``n`` regulatory sites, sorted by contig then position: cluster centres uniform over
    ``spans`` (kept SITE_MARGIN from N blocks), a few sites each within CLUSTER_REACH of it."""
    clusters = max(1, round(n / CLUSTER_SITES))
    contig, centre = uniform_positions(rng, spans, clusters)
    size = rng.geometric(1 / CLUSTER_SITES, clusters)
    contig, centre = np.repeat(contig, size), np.repeat(centre, size)
    position = centre + rng.integers(-CLUSTER_REACH, CLUSTER_REACH + 1, len(centre))
    # A site pushed past its span's end by the spread is brought back inside it.
    span = np.searchsorted(_key(spans[:, 0], spans[:, 1]), _key(contig, centre), side="right") - 1
    position = np.clip(position, spans[span, 1], spans[span, 2] - 1)
    return _unkey(np.unique(_key(contig, position)))


def _key(contig, position):
    """One int64 a (contig index, position) pair that sorts by contig, then position."""
    return contig * _KEY + position


def _unkey(keys):
    return keys // _KEY, keys % _KEY


def sample_peaks(rng, site_contig, site_pos, popularity, n):
    """One sample's peaks at about ``n`` of the sites, each site taken with a chance growing with its
    ``popularity``: (contig, start, end, summit offset), sorted by contig and start."""
    chance = np.minimum(1.0, popularity * (n / popularity.sum()))
    taken = rng.random(len(chance)) < chance
    contig = site_contig[taken]
    summit = site_pos[taken] + rng.integers(-SUMMIT_JITTER, SUMMIT_JITTER + 1, len(contig))
    width = rng.integers(PEAK_WIDTH[0], PEAK_WIDTH[1] + 1, len(contig))
    offset = rng.integers(width // 4, 3 * width // 4 + 1)
    start = summit - offset
    order = np.lexsort((start, contig))
    return contig[order], start[order], start[order] + width[order], offset[order]


def narrowpeak_bytes(rng, names, contig, start, end, offset):
    """ENCODE narrowPeak rows: name '.', score, strand '.', signalValue, pValue, qValue, summit offset."""
    signal = rng.lognormal(3.0, 0.6, len(contig))
    pvalue = signal / 4 + rng.random(len(contig))
    qvalue = np.maximum(pvalue - 2, 0)
    score = np.minimum(1000, (signal * 20).astype(np.int64))
    rows = zip(contig.tolist(), start.tolist(), end.tolist(), score.tolist(), signal.tolist(), pvalue.tolist(),
               qvalue.tolist(), offset.tolist())
    return "".join(f"{names[c]}\t{s}\t{e}\t.\t{sc}\t.\t{sig:.4f}\t{p:.5f}\t{q:.5f}\t{o}\n"
                   for c, s, e, sc, sig, p, q, o in rows).encode()


class GzipWriter:
    """A gzip file written by a thread from a bounded queue of byte blocks, so that compression
    (zlib lets go of the GIL) runs beside the making of the next block. Written to a temporary
    name and renamed on close: a killed run leaves no file that looks whole. No time stamp in the
    header: one seed gives the same bytes."""

    def __init__(self, path, depth=2):
        self.path, self.part = Path(path), Path(f"{path}.part")
        self.blocks = queue.Queue(maxsize=depth)
        self.error = None
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self):
        try:
            with open(self.part, "wb") as raw, gzip.GzipFile("", "wb", COMPRESSLEVEL, raw, mtime=0) as out:
                for block in iter(self.blocks.get, None):
                    out.write(block)
        except BaseException as error:  # handed to the writing thread at close
            self.error = error
            for _ in iter(self.blocks.get, None):  # never leave the producer blocked
                pass

    def write(self, block):
        self.blocks.put(block)

    def close(self):
        self.blocks.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        os.replace(self.part, self.path)


def write_genome(rng, path, sizes, layout, snps):
    """Write the genome a chunk at a time; return the SNPs' reference bases (codes 0-3) in the order of
    ``snps`` ({contig: sorted positions})."""
    writer = GzipWriter(path)
    refs = {}
    try:
        for contig, length in sizes.items():
            writer.write(f">{contig}\n".encode())
            positions, ref = snps[contig], np.empty(len(snps[contig]), np.uint8)
            chunk = CHUNK_LINES * LINE_WIDTH
            for start in range(0, length, chunk):
                end = min(start + chunk, length)
                codes = sequence(rng, end - start)
                lo, hi = np.searchsorted(positions, [start, end])
                ref[lo:hi] = codes[positions[lo:hi] - start]
                writer.write(fasta_lines(text(rng, codes, layout[contig], start)))
            refs[contig] = ref
    finally:
        writer.close()
    return refs


def sequence(rng, n):
    """(n,) codes 0-3 of random bases with a human-like CpG deficit: most CpGs decay to TpG or CpA."""
    codes = BASE_TABLE[np.frombuffer(rng.bytes(n), np.uint8)]
    cpg = np.flatnonzero((codes[:-1] == 1) & (codes[1:] == 2))
    decayed = cpg[rng.random(len(cpg)) >= CPG_KEPT]
    to_tpg = rng.random(len(decayed)) < 0.5
    codes[decayed[to_tpg]] = 3
    codes[decayed[~to_tpg] + 1] = 0
    return codes


def text(rng, codes, blocks, offset):
    """The bases of ``codes`` (starting at ``offset`` on the contig) as ASCII: stretches of about
    REPEAT_MEAN bases in lower case, every other one, and N over the contig's N ``blocks``."""
    chars = UPPER[codes]
    runs = rng.geometric(1 / REPEAT_MEAN, 2 * len(codes) // REPEAT_MEAN + 16)
    while runs.sum() < len(codes):
        runs = np.concatenate([runs, rng.geometric(1 / REPEAT_MEAN, len(runs))])
    masked = np.repeat(np.arange(len(runs)) % 2 == rng.integers(2), runs)[: len(codes)]
    chars[masked] |= 0x20  # lower case
    for start, end in blocks[(blocks[:, 1] > offset) & (blocks[:, 0] < offset + len(codes))]:
        chars[max(start - offset, 0) : end - offset] = ord("N")
    return chars


def fasta_lines(chars):
    """``chars`` as lines of LINE_WIDTH bases (the last one shorter), each ending in a newline."""
    whole = len(chars) // LINE_WIDTH
    rest = len(chars) - whole * LINE_WIDTH
    out = np.empty(whole * (LINE_WIDTH + 1) + (rest + 1 if rest else 0), np.uint8)
    lines = out[: whole * (LINE_WIDTH + 1)].reshape(whole, LINE_WIDTH + 1)
    lines[:, :LINE_WIDTH] = chars[: whole * LINE_WIDTH].reshape(whole, LINE_WIDTH)
    lines[:, LINE_WIDTH] = ord("\n")
    if rest:
        out[-rest - 1 : -1] = chars[-rest:]
        out[-1] = ord("\n")
    return out.tobytes()


def choose_snps(rng, site_contig, site_pos, spans, n):
    """{contig index: sorted unique positions} of ``n`` SNPs: half within SNP_NEAR_SITE of a site,
    half uniform over the sequence outside the N blocks."""
    near = rng.integers(0, len(site_pos), n // 2)
    position = site_pos[near] + rng.integers(-SNP_NEAR_SITE, SNP_NEAR_SITE + 1, len(near))
    keys = np.unique(_key(site_contig[near], position))
    while len(keys) < n:  # each round adds at most what is missing, so it ends at n
        contig, position = uniform_positions(rng, spans, n - len(keys))
        keys = np.unique(np.concatenate([keys, _key(contig, position)]))
    contig, position = _unkey(keys)
    return {i: position[contig == i] for i in np.unique(spans[:, 0]).tolist()}


def vcf_bytes(rng, snps, refs, header):
    """A VCF of the SNPs ({contig: positions}, REF codes in ``refs``): ALT a random other base, ids
    rs1, rs2, ... along the genome."""
    lines = [*header, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for contig, positions in snps.items():
        ref = refs[contig]
        alt = (ref + rng.integers(1, 4, len(ref))) % 4
        for pos, r, a in zip(positions.tolist(), ref.tolist(), alt.tolist()):
            lines.append(f"{contig}\t{pos + 1}\trs{len(lines) - len(header)}\t{'ACGT'[r]}\t{'ACGT'[a]}\t.\tPASS\t.")
    return ("\n".join(lines) + "\n").encode()


def sample_names(n):
    """Basset's sample names (config/basset_samples.tsv), then sample165, ... beyond its 164."""
    with open(ROOT / "config/basset_samples.tsv", newline="") as handle:
        names = [row["sample"] for row in csv.DictReader(handle, delimiter="\t")]
    return (names + [f"sample{i + 1}" for i in range(len(names), n)])[:n]


def config_text(out, scale, seed, samples):
    """A Basset-style config on the files of ``out``: a small model, one epoch capped at STEPS steps."""
    return f"""\
# A simulated Basset case at {scale:g} x hg19's size (bench/scale_data.py --scale {scale:g} --seed {seed}):
# {samples} samples' narrowPeak files on a random genome with hg19's contigs. Like config/basset.yaml,
# with a small model and one epoch of {STEPS} steps (max_steps_per_epoch) so that every stage runs on a
# CPU node; no training.subsample, so that training reads its whole split as a real run does.
#   snakemake --configfile {out}/config.yaml --directory <a work directory>

genome:
  name: hg19
  url: {out}/hg19.fa.gz

samples: {out}/samples.tsv

variants:
  simulated_snps:
    vcf:
      url: {out}/variants.vcf.gz

datasets:
  basset:
    kind: peaks
    width: 600
    center: summit
    background: 0
    max_n_fraction: 0.1
    blacklist:
      url: {out}/blacklist.bed.gz
    split: {{valid: [chr8], test: [chr9]}}

experiments:
  basset:
    dataset: basset
    model:
      name: basset
      params:
        conv:
          - {{filters: 64, width: 19, pool: 3}}
          - {{filters: 64, width: 11, pool: 4}}
        dense: [64]
        global_pool: max
    training: {{epochs: 1, max_steps_per_epoch: {STEPS}, batch_size: 128, optimizer: adam, lr: 0.002,
               reverse_complement: true}}
    interpret: {{jaspar_release: JASPAR2024, tax_group: vertebrates, influence_examples: 500}}
    variants: [simulated_snps]

report:
  title: "Simulated Basset at {scale:g} x hg19: {samples} samples"
"""


def write_bytes(path, data, gzipped=False):
    """Write ``data`` to ``path`` through a temporary name (gzipped without a time stamp, so that one
    seed gives the same bytes)."""
    part = Path(f"{path}.part")
    part.write_bytes(gzip.compress(data, COMPRESSLEVEL, mtime=0) if gzipped else data)
    os.replace(part, path)


def generate(out, scale=1.0, samples=SAMPLES, seed=0, log=print):
    """Write the simulated case into directory ``out`` (see the module's docstring).

    Returns
    -------
    dict
        contigs, bases, n_bases (in N blocks), sites, peaks, snps, seconds.
    """
    started = time.monotonic()
    out = Path(out).resolve()
    (out / "peaks").mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    sizes = contig_sizes(scale)
    names = list(sizes)
    layout = {name: gaps(rng, name, length) for name, length in sizes.items()}
    spans = np.array([(i, start, end) for i, name in enumerate(names)
                      for start, end in segments(layout[name], sizes[name], SITE_MARGIN)], dtype=np.int64)
    low, high = (max(1, round(x * scale)) for x in PEAKS_PER_SAMPLE)
    peak_counts = rng.integers(low, high + 1, samples)
    sites = make_sites(rng, spans, round(SITES_PER_PEAK * peak_counts.sum()))
    n_snps = max(1, round(SNPS * scale))
    snps = choose_snps(rng, *sites, spans, n_snps)
    snps = {name: snps.get(i, np.zeros(0, np.int64)) for i, name in enumerate(names)}

    refs = write_genome(rng, out / "hg19.fa.gz", sizes, layout, snps)
    log(f"genome: {len(sizes)} contigs, {sum(sizes.values()):,} bases ({time.monotonic() - started:.0f} s)")
    peaks = write_peaks(rng, out, names, sites, peak_counts)
    log(f"peaks: {samples} samples, {peaks:,} peaks at {len(sites[0]):,} sites ({time.monotonic() - started:.0f} s)")
    write_bytes(out / "blacklist.bed.gz", blacklist_bytes(rng, names, spans, max(1, round(BLACKLIST * scale))),
                gzipped=True)
    header = ["##fileformat=VCFv4.2", f"##source=bench/scale_data.py --scale {scale:g} --seed {seed}",
              "##reference=hg19.fa.gz", *(f"##contig=<ID={name},length={size}>" for name, size in sizes.items())]
    write_bytes(out / "variants.vcf.gz", vcf_bytes(rng, snps, refs, header), gzipped=True)
    write_bytes(out / "config.yaml", config_text(out, scale, seed, samples).encode())
    seconds = time.monotonic() - started
    log(f"variants: {n_snps:,} SNPs; config.yaml written ({seconds:.0f} s in all)")
    return {"contigs": len(sizes), "bases": sum(sizes.values()),
            "n_bases": int(sum((block[:, 1] - block[:, 0]).sum() for block in layout.values())),
            "sites": len(sites[0]), "peaks": peaks, "snps": n_snps, "seconds": seconds}


def write_peaks(rng, out, names, sites, peak_counts):
    """Each sample's narrowPeak file under out/peaks and the samples sheet; return the peaks written."""
    popularity = rng.lognormal(0.0, SHARING, len(sites[0]))
    sheet = ["sample\turl\tsha256"]
    total = 0
    for sample, n in zip(sample_names(len(peak_counts)), peak_counts.tolist()):
        peaks = sample_peaks(rng, *sites, popularity, n)
        path = out / "peaks" / f"{sample}.narrowPeak.gz"
        write_bytes(path, narrowpeak_bytes(rng, names, *peaks), gzipped=True)
        sheet.append(f"{sample}\t{path}\t")
        total += len(peaks[0])
    write_bytes(out / "samples.tsv", ("\n".join(sheet) + "\n").encode())
    return total


def blacklist_bytes(rng, names, spans, n):
    """A BED6 of ``n`` regions of 500 bp to 20 kb, as ENCODE's blacklist names its high-signal ones."""
    contig, start = uniform_positions(rng, spans, n)
    end = start + np.exp(rng.uniform(np.log(500), np.log(20_000), n)).astype(np.int64)
    order = np.lexsort((start, contig))
    rows = zip(contig[order].tolist(), start[order].tolist(), end[order].tolist())
    return "".join(f"{names[c]}\t{s}\t{e}\tHigh_Signal_Region\t1000\t.\n" for c, s, e in rows).encode()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[2:]))
    parser.add_argument("out", help="directory to write (created; files of an earlier run replaced)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of hg19's size: contig lengths, peaks a sample, SNPs, blacklist (default 1)")
    parser.add_argument("--samples", type=int, default=SAMPLES, help=f"peak files (default {SAMPLES})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    generate(args.out, args.scale, args.samples, args.seed)


if __name__ == "__main__":
    main()
