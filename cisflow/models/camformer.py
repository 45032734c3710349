"""Camformers' residual CNN (DREAM 2022 random-promoter challenge, 4th place; test Pearson 0.913).

Six convolutions of 512 filters, kernel 10, 'same' padding, each followed by batch norm and ReLU;
a residual connection around every other convolution; max pooling (10, stride 4) after the fifth;
dropout 0.3; then dense 256, 256 and one output per target. For 110-nt input it has 16,611,073
trainable parameters, the published count.
"""

from collections.abc import Sequence
from typing import Any, cast

import torch
from torch import nn

from cisflow.io.errors import ConfigError
from cisflow.models.registry import register


class ConvBlock(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, width: int) -> None:
        super().__init__()
        # 'same' padding written out: an even kernel pads one more on the right (as padding="same"
        # would, without the input copy PyTorch makes for it)
        self.pad = nn.ConstantPad1d(((width - 1) // 2, width // 2), 0.0)
        self.conv = nn.Conv1d(channels_in, channels_out, width)
        self.norm = nn.BatchNorm1d(channels_out)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(self.pad(x))))


class Camformer(nn.Module):
    def __init__(self, seq_len: int, n_targets: int, filters: int = 512, width: int = 10, pool: int = 10,
                 pool_stride: int = 4, dense: Sequence[int] = (256, 256), dropout: float = 0.3,
                 n_features: int = 0) -> None:
        super().__init__()
        if n_features:
            raise ConfigError("model.name", "camformer takes the sequence only; the dataset has per-sequence "
                              "features")
        self.convs = nn.ModuleList([ConvBlock(4 if i == 0 else filters, filters, width) for i in range(6)])
        self.pool = nn.MaxPool1d(pool, stride=pool_stride)
        self.dropout = nn.Dropout(dropout)
        length = (seq_len - pool) // pool_stride + 1
        head, features = [], filters * length
        for size in dense:
            head += [nn.Linear(features, size), nn.ReLU(), nn.Dropout(dropout)]
            features = size
        head.append(nn.Linear(features, n_targets))
        self.head = nn.Sequential(*head)

    @property
    def first_conv(self) -> nn.Conv1d:
        return cast(ConvBlock, self.convs[0]).conv

    @property
    def first_layer_padding(self) -> int:
        return cast(ConvBlock, self.convs[0]).pad.padding[0]

    @property
    def output_layer(self) -> nn.Linear:
        return cast(nn.Linear, self.head[-1])

    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs[0](x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convs[0](x)
        for index in range(1, 6):
            out = self.convs[index](x)
            x = x + out if index % 2 == 1 else out  # residual around every other convolution
            if index == 4:
                x = self.dropout(self.pool(x))
        return self.head(x.flatten(1))


@register("camformer")
def camformer(seq_len: int, n_targets: int, **params: Any) -> Camformer:
    """Camformers' published sizes unless ``params`` override them."""
    return Camformer(seq_len, n_targets, **params)
