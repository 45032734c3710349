"""Rule tracks: an experiment's genome browser tracks (``write_tracks``).

Under ``results/tracks/<experiment>/``: ``data/`` holds a bigWig of predictions for each output
(``predictions.<output>.bw``), one of contributions to one output (``contributions.<output>.bw``) and a
bigBed of each variant set the experiment scores (``variants.<set>.bb``); ``hub.txt``, ``genomes.txt`` and
``trackDb.txt`` are a UCSC track hub of them, ``igv_session.xml`` an IGV session (``cisflow.tracks.hub``).
"""

import dataclasses
import logging
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cisflow.config.settings import Tracks
from cisflow.io.atomic import atomic_dir
from cisflow.io.errors import ConfigError
from cisflow.io.genome import read_fai
from cisflow.models.checkpoint import load_model
from cisflow.models.predict import device
from cisflow.tracks.bigbed import write_variant_bigbed
from cisflow.tracks.bigwig import base_blocks, tile_blocks, write_bigwig
from cisflow.tracks.hub import Track, track_names, write_hub, write_igv_session
from cisflow.tracks.regions import Tiles, check_window_count, held_out_regions, loci_regions, tile
from cisflow.tracks.signal import TrackValues, track_values
from cisflow.types import PathLike

log = logging.getLogger(__name__)

OUTPUTS = ("hub", "genomes", "trackdb", "session", "data")  # the rule's outputs by role, write_tracks' keys
PREDICTION_COLOUR, CONTRIBUTION_COLOUR = "31,119,180", "214,96,0"
SESSION_LOCUS = 100_000  # bases of the first region IGV opens on


def file_stems(names: Sequence[str]) -> list[str]:
    """A file name stem for each output name: characters other than letters, digits, ``_ . -`` as _, a number
    added where two would be the same (``HeLa S3`` and ``HeLa_S3``)."""
    stems: list[str] = []
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name)).lstrip(".") or "output"
        unique, number = stem, 2
        while unique in stems:
            unique, number = f"{stem}_{number}", number + 1
        stems.append(unique)
    return stems


def _target_index(tracks: Tracks, targets: Sequence[str], key: str) -> int | None:
    """The output whose contributions are written: ``contribution_target``, else the first; None for none."""
    if not tracks.contributions:
        return None
    if tracks.contribution_target is None:
        return 0
    if tracks.contribution_target not in targets:
        raise ConfigError(f"{key}.contribution_target", f"{tracks.contribution_target!r} is not an output of the "
                                                        f"model (its outputs: {', '.join(map(str, targets))})")
    return list(targets).index(tracks.contribution_target)


def write_tracks(model_path: PathLike, fasta_path: PathLike, tracks: Tracks, outputs: Mapping[str, PathLike],
                 genome: str, experiment: str, held_out: Sequence[str] = (), loci_path: PathLike | None = None,
                 variant_tables: Mapping[str, PathLike] | None = None,
                 aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The tracks rule: bigWigs of the model's predictions and contributions along the regions, bigBeds of
    the scored variant sets, a UCSC track hub and an IGV session of them.

    Parameters
    ----------
    model_path : str or Path
        The experiment's model (``results/models/<experiment>/model.pt``: one model or an ensemble).
    fasta_path : str or Path
        The indexed genome FASTA; its .fai gives the files' contigs and lengths.
    tracks : Tracks
        The experiment's ``tracks`` section.
    outputs : dict of str to str or Path
        Where each of ``OUTPUTS`` goes: hub.txt, genomes.txt, trackDb.txt, the IGV session, the folder of
        track files.
    genome : str
        The genome's name (the config's ``genome.name``): the hub's assembly.
    experiment : str
        The experiment's name, for labels and messages.
    held_out : sequence of str
        The dataset split's valid and test chromosomes: the regions where ``tracks.regions`` is held_out.
    loci_path : str or Path, optional
        The BED file of loci where ``tracks.regions`` is one.
    variant_tables : dict of str to str or Path, optional
        Each scored variant set's ranked table, by set name.
    aliases : dict, optional
        Contig name -> the genome's, for the loci (the config's ``contig_aliases``).

    Returns
    -------
    dict
        windows, bases, stride, seconds, and each track file's name, kind and size in bytes.

    Raises
    ------
    ConfigError
        Naming the key: more windows than ``max_windows``, a ``contribution_target`` that is no output, a
        ``stride`` longer than the model's window where contributions are asked for, held-out chromosomes
        the genome lacks.
    """
    key = f"experiments.{experiment}.tracks"
    started = time.monotonic()
    index = read_fai(fasta_path)
    sizes = {name: entry[0] for name, entry in index.items()}
    if tracks.regions == "held_out":
        regions = held_out_regions(held_out, sizes)
    elif loci_path is None:
        raise ValueError(f"{key}.regions names a BED of loci, but no file of it was given")
    else:
        regions = loci_regions(loci_path, sizes, fasta_path, aliases)
    windows = check_window_count(regions, tracks.stride, tracks.max_windows, key)
    model, meta = load_model(model_path, device())
    dataset = meta["dataset"]
    targets, seq_len = [str(target) for target in dataset["targets"]], int(dataset["seq_len"])
    target = _target_index(tracks, targets, key)
    if target is not None and tracks.stride > seq_len:
        raise ConfigError(f"{key}.stride", f"{tracks.stride} is longer than the model's window ({seq_len} bp): a "
                                           "tile's contributions come from its own window; lower it, or set "
                                           f"{key}.contributions false")
    log.info("%s: %d regions, %s bases, %s windows of %d bp every %d bp", experiment, len(regions),
             f"{int((regions['end'] - regions['start']).sum()):,}", f"{windows:,}", seq_len, tracks.stride)
    tiles = tile(regions, tracks.stride)
    values = track_values(model, meta, fasta_path, index, tiles, tracks.stride, target)
    track_list = _write_files(Path(outputs["data"]), sizes, tiles, values, targets, target, dataset["task"],
                              seq_len, tracks.stride, experiment, variant_tables or {})
    write_hub(outputs["hub"], outputs["genomes"], outputs["trackdb"], genome, f"cisflow {experiment}", track_list)
    first = regions.iloc[0]
    locus = f"{first.chrom}:{first.start + 1}-{min(first.end, first.start + SESSION_LOCUS)}"
    write_igv_session(outputs["session"], fasta_path, track_list, locus)
    sizes_written = {track.path.name: track.path.stat().st_size for track in track_list}
    seconds = round(time.monotonic() - started, 1)
    log.info("%s: %d track files (%s bytes) in %.1f s", experiment, len(track_list),
             f"{sum(sizes_written.values()):,}", seconds)
    return {"windows": windows, "bases": int((regions["end"] - regions["start"]).sum()), "stride": tracks.stride,
            "seconds": seconds, "files": [{"file": track.path.name, "kind": track.kind,
                                           "bytes": sizes_written[track.path.name]} for track in track_list]}


def _write_files(folder: Path, sizes: Mapping[str, int], tiles: Tiles, values: TrackValues, targets: Sequence[str],
                 target: int | None, task: str, seq_len: int, stride: int, experiment: str,
                 variant_tables: Mapping[str, PathLike]) -> list[Track]:
    """Write the track files into ``folder`` (whole or not at all); their tracks, named for the hub."""
    what = "probability" if task == "classification" else "value"
    stems = file_stems(targets)
    written: list[Track] = []
    with atomic_dir(folder) as partial:
        for column, (name, stem) in enumerate(zip(targets, stems)):
            file = f"predictions.{stem}.bw"
            write_bigwig(partial / file, sizes, tile_blocks(tiles, values.predictions[:, column]))
            written.append(Track(f"predictions_{name}", folder / file, "bigWig", f"{name} pred",
                                 f"{experiment}: {name} predicted ({what}), {seq_len} bp windows every {stride} bp",
                                 PREDICTION_COLOUR))
        if values.contributions is not None and target is not None:
            file = f"contributions.{stems[target]}.bw"
            write_bigwig(partial / file, sizes, base_blocks(tiles, values.contributions))
            written.append(Track(f"contributions_{targets[target]}", folder / file, "bigWig",
                                 f"{targets[target]} contrib",
                                 f"{experiment}: {targets[target]} gradient x input, each base in its tile's window",
                                 CONTRIBUTION_COLOUR))
        for variant_set, table in variant_tables.items():
            file = f"variants.{variant_set}.bb"
            items = write_variant_bigbed(partial / file, table, sizes)
            if not items:
                log.warning("variant set %s: no allele lies on the genome; no bigBed written", variant_set)
                continue
            written.append(Track(f"variants_{variant_set}", folder / file, "bigBed", variant_set,
                                 f"{experiment} {variant_set}: {items:,} alleles, red/blue: ALT raises/lowers the top "
                                 "output"))
    names = track_names([track.name for track in written])
    return [dataclasses.replace(track, name=name) for track, name in zip(written, names)]
