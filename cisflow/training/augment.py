"""Augmentation of a training batch on its device: random reverse complements and shifts.

``training.reverse_complement`` flips a random half of the batch's sequences to their reverse
complement (a region is the same on either strand); ``training.shift`` moves each sequence by up
to that many positions either way, the gap filled with N. Both draw from the training's seeded
generator, so a resumed run draws what an uninterrupted one would.
"""

import torch

from cisflow.config.settings import Training
from cisflow.encode import N_CODE, reverse_complement


def augment(codes: torch.Tensor, training: Training, generator: torch.Generator) -> torch.Tensor:
    """The (n, L) uint8 ``codes`` of a batch, augmented as the ``training`` settings say
    (``reverse_complement``, ``shift``), drawn with ``generator``."""
    if training.reverse_complement:
        flip = torch.rand(len(codes), generator=generator).to(codes.device) < 0.5
        codes = torch.where(flip[:, None], reverse_complement(codes), codes)
    if training.shift:
        codes = random_shift(codes, training.shift, generator)
    return codes


def random_shift(codes: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each sequence moved by a random -max_shift..max_shift positions, the gap filled with N."""
    shifts = torch.randint(-max_shift, max_shift + 1, (len(codes), 1), generator=generator).to(codes.device)
    source = torch.arange(codes.shape[1], device=codes.device)[None, :] - shifts
    inside = (source >= 0) & (source < codes.shape[1])
    moved = torch.gather(codes, 1, source.clamp(0, codes.shape[1] - 1))
    return torch.where(inside, moved, torch.full_like(moved, N_CODE))
