"""Genome browser tracks of an experiment (rule tracks, ``tracks.write_tracks``): its predictions and
contributions along chosen regions as bigWig, its scored variant sets as bigBed, and a UCSC track hub and
an IGV session that open them together.

``regions`` says which windows (the held-out chromosomes or a BED of loci, tiled at a stride, bounded),
``signal`` computes their values with the model, ``bigwig`` and ``bigbed`` write the files (pybigtools)
and ``hub`` the hub and the session.
"""
