"""A UCSC track hub (hub.txt, genomes.txt, trackDb.txt) and an IGV session that open the tracks together.

Paths inside them are relative (a track's to the trackDb.txt, as UCSC reads them, and to the session file,
as IGV does), so the folder can be copied or served whole. UCSC opens a hub over http(s) only (My Data >
Track Hubs, the URL of hub.txt), on the assembly genomes.txt names: a UCSC assembly name (hg19, hg38,
mm10) for the tracks to land on, which the config's genome name must then be; a genome UCSC lacks needs an
assembly hub (a .2bit of the sequence), which this hub is not. IGV opens the session from disk (File >
Open Session), on the genome FASTA the session names.
"""

import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cisflow.io.atomic import atomic_open
from cisflow.types import PathLike

SHORT_LABEL = 17  # characters UCSC shows of a short label
LONG_LABEL = 80
IGV_SESSION_VERSION = "8"


@dataclass(frozen=True)
class Track:
    """One track of the hub and the session.

    Attributes
    ----------
    name : str
        Its name in trackDb.txt: a letter, then letters, digits and _ (``track_names``), unique in the hub.
    path : Path
        Its file, where it lies once written.
    kind : {'bigWig', 'bigBed'}
    short_label, long_label : str
        What a browser shows beside it.
    color : str
        ``r,g,b`` of a bigWig's line; a bigBed's items carry their own (itemRgb).
    """

    name: str
    path: Path
    kind: Literal["bigWig", "bigBed"]
    short_label: str
    long_label: str
    color: str = "0,0,0"


def track_names(labels: Sequence[str]) -> list[str]:
    """A trackDb name for each of ``labels``: characters other than letters, digits and _ as _, a leading
    ``t`` where one does not start with a letter, a number added where two would be the same."""
    names: list[str] = []
    for label in labels:
        name = re.sub(r"\W", "_", label, flags=re.ASCII)
        name = name if name[:1].isalpha() and name.isascii() else f"t{name}"
        unique, number = name, 2
        while unique in names:
            unique, number = f"{name}_{number}", number + 1
        names.append(unique)
    return names


def _relative(path: PathLike, folder: PathLike) -> str:
    return Path(os.path.relpath(path, folder)).as_posix()


def _stanza(pairs: Sequence[tuple[str, str]]) -> str:
    return "".join(f"{key} {value}\n" for key, value in pairs)


def write_hub(hub_path: PathLike, genomes_path: PathLike, trackdb_path: PathLike, genome: str, title: str,
              tracks: Sequence[Track]) -> None:
    """Write a UCSC track hub: hub.txt naming genomes.txt, which names the assembly and trackDb.txt, which
    holds a stanza a track.

    Parameters
    ----------
    hub_path, genomes_path, trackdb_path : str or Path
        The three files (genomes.txt beside or below hub.txt, trackDb.txt beside or below genomes.txt).
    genome : str
        The assembly the tracks are on, as UCSC names it (hg19).
    title : str
        The hub's name and label (``cisflow <experiment>``).
    tracks : sequence of Track
        The tracks, in the order shown.
    """
    hub_name = track_names([title])[0]
    with atomic_open(hub_path) as out:
        out.write(_stanza([("hub", hub_name), ("shortLabel", title[:SHORT_LABEL]),
                           ("longLabel", f"{title}: predictions, contributions and scored variants"[:LONG_LABEL]),
                           ("genomesFile", _relative(genomes_path, Path(hub_path).parent)),
                           ("email", "none (the hub's maintainer: set one before sharing it)")]))
    with atomic_open(genomes_path) as out:
        out.write(_stanza([("genome", genome), ("trackDb", _relative(trackdb_path, Path(genomes_path).parent))]))
    stanzas = []
    for track in tracks:
        pairs = [("track", track.name), ("bigDataUrl", _relative(track.path, Path(trackdb_path).parent)),
                 ("shortLabel", track.short_label[:SHORT_LABEL]), ("longLabel", track.long_label[:LONG_LABEL])]
        if track.kind == "bigWig":
            pairs += [("type", "bigWig"), ("visibility", "full"), ("autoScale", "on"),
                      ("maxHeightPixels", "64:32:16"), ("color", track.color)]
        else:
            pairs += [("type", "bigBed 9 +"), ("visibility", "pack"), ("itemRgb", "on")]
        stanzas.append(_stanza(pairs))
    with atomic_open(trackdb_path) as out:
        out.write("\n".join(stanzas))


def write_igv_session(path: PathLike, fasta_path: PathLike, tracks: Sequence[Track], locus: str) -> None:
    """Write an IGV session (XML) that opens the genome FASTA and every track.

    Parameters
    ----------
    path : str or Path
        The session file.
    fasta_path : str or Path
        The genome FASTA (indexed: its .fai beside it), named relative to the session.
    tracks : sequence of Track
        The tracks, in the order shown.
    locus : str
        Where IGV opens (``chr22:1-100000``).
    """
    folder = Path(path).parent
    session = ElementTree.Element("Session", genome=_relative(fasta_path, folder), locus=locus,
                                  version=IGV_SESSION_VERSION)
    resources = ElementTree.SubElement(session, "Resources")
    for track in tracks:
        ElementTree.SubElement(resources, "Resource", name=track.short_label, path=_relative(track.path, folder))
    ElementTree.indent(session)
    with atomic_open(path) as out:
        out.write('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
        out.write(ElementTree.tostring(session, encoding="unicode") + "\n")
