"""Plain convolutional networks: conv blocks, then dense layers, then one output per target.

The published CNNs that differ only in sizes (Basset, DeepBind, the primer CNN, Cuperus 2017,
Xpresso) are registered here as presets of one class; the defaults of each preset are the
published sizes, and tests/test_models.py checks their parameter counts against the papers.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import torch
from torch import nn

from cisflow.io.errors import ConfigError
from cisflow.models.registry import register

ACTIVATIONS = {"relu": nn.ReLU, "linear": nn.Identity}


def conv_padding(width: int, padding: str) -> tuple[int, int]:
    """(left, right) padding of a conv of ``width``: 'valid' none, 'same' keeps the length (an even
    width pads one more on the right, as Keras and PyTorch do), 'full' (DeepBind) width - 1 a side,
    so a motif overhanging either end is still scored."""
    return {"valid": (0, 0), "same": ((width - 1) // 2, width // 2), "full": (width - 1, width - 1)}[padding]


class GlobalPool(nn.Module):
    """Pooling over the whole sequence: 'max', 'avg', or 'maxavg' (DeepBind's max and average,
    side by side: the average counts motif instances, the max finds the best one)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = {"max": [x.amax(-1)], "avg": [x.mean(-1)], "maxavg": [x.amax(-1), x.mean(-1)]}[self.mode]
        return torch.cat(pooled, dim=1)

    def width(self, channels: int) -> int:
        return channels * (2 if self.mode == "maxavg" else 1)


@dataclass(frozen=True)
class ConvLayer:
    """The keys of one layer dict of a ConvNet's ``conv`` (``model.params.conv`` in the config):
    ``filters`` of ``width``, their ``activation`` ('relu' or 'linear': the primer notebook's conv
    has none), a max pool of ``pool`` (1: none) and ``dropout`` (0: none). The optional keys'
    defaults are written here alone; the config check learns which keys a layer takes from these
    fields (``cisflow.models.registry.parameters``)."""

    filters: int
    width: int
    activation: str = "relu"
    pool: int = 1
    dropout: float = 0.0


class ConvNet(nn.Module):
    """Conv blocks (conv, optional batch norm, activation, optional max pool, optional dropout) + dense.

    ``conv`` is a list of dicts with the keys of a ``ConvLayer`` (``filters``, ``width`` and optional
    ``pool``, ``dropout`` and ``activation``); ``dense`` a list of hidden sizes, ``dense_dropout``
    one rate for all or one per dense layer. Pooling keeps whole windows only (Keras and Torch7 did).
    ``global_pool`` ('max', 'avg', 'maxavg' or None) pools the last conv block over the whole sequence, as
    DeepBind does. ``padding`` is 'same', 'valid' (Basset's Torch7 layers) or 'full' (DeepBind).

    ``n_features`` per-sequence numbers (Xpresso's mRNA half-life features) are concatenated to
    the flattened conv output before the dense layers. They are standardised inside the model by
    ``feature_mean``/``feature_std`` buffers, which training sets from the training split, so a
    saved model takes features in their own units.
    """

    LAYERS: ClassVar[dict[str, type]] = {"conv": ConvLayer}  # parameters that are lists of layer dicts
    feature_mean: torch.Tensor  # buffers (register_buffer), typed here for the checker
    feature_std: torch.Tensor

    def __init__(self, seq_len: int, n_targets: int, conv: Sequence[Mapping[str, Any]], dense: Sequence[int] = (),
                 batchnorm: bool = True, dense_dropout: float | Sequence[float] = 0.0, global_pool: str | None = None,
                 padding: str = "same", n_features: int = 0) -> None:
        super().__init__()
        blocks, channels, length = [], 4, seq_len
        for layer in (ConvLayer(**keys) for keys in conv):
            width = layer.width
            left, right = conv_padding(width, padding)
            block: list[nn.Module] = [nn.ConstantPad1d((left, right), 0.0)] if left != right else []
            block.append(nn.Conv1d(channels, layer.filters, width, padding=left if left == right else 0))
            length = length + left + right - width + 1
            if batchnorm:
                block.append(nn.BatchNorm1d(layer.filters))
            block.append(ACTIVATIONS[layer.activation]())
            if layer.pool > 1:
                block.append(nn.MaxPool1d(layer.pool))
                length //= layer.pool
            if layer.dropout > 0:
                block.append(nn.Dropout(layer.dropout))
            if length < 1:
                raise ConfigError("model.params.conv",
                                  f"a {seq_len}-long sequence is shorter than the conv/pool stack {conv} needs")
            blocks.append(nn.Sequential(*block))
            channels = layer.filters
        self.blocks = nn.ModuleList(blocks)
        self.global_pool = GlobalPool(global_pool) if global_pool else None
        self.n_features = n_features
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        features = (self.global_pool.width(channels) if self.global_pool else channels * length) + n_features
        rates = dense_dropout if isinstance(dense_dropout, (list, tuple)) else [dense_dropout] * len(dense)
        if len(rates) != len(dense):
            raise ConfigError("model.params.dense_dropout", f"{len(rates)} rates for {len(dense)} dense layers "
                              "(give one rate for all, or one per dense layer)")
        head: list[nn.Module] = []
        for size, rate in zip(dense, rates):
            head += [nn.Linear(features, size)]
            if batchnorm:
                head.append(nn.BatchNorm1d(size))
            head.append(nn.ReLU())
            if rate > 0:
                head.append(nn.Dropout(rate))
            features = size
        head.append(nn.Linear(features, n_targets))
        self.head = nn.Sequential(*head)

    @property
    def output_layer(self) -> nn.Linear:
        """The final nn.Linear (training folds the regression target scaling into it)."""
        return cast(nn.Linear, self.head[-1])

    @property
    def _first_block(self) -> nn.Sequential:
        """The first conv block (padding, conv, its batch norm and activation, pooling, dropout)."""
        return cast(nn.Sequential, self.blocks[0])

    @property
    def first_conv(self) -> nn.Conv1d:
        return next(m for m in self._first_block if isinstance(m, nn.Conv1d))

    @property
    def first_layer_padding(self) -> int:
        pad = self._first_block[0]
        return pad.padding[0] if isinstance(pad, nn.ConstantPad1d) else cast(tuple[int], self.first_conv.padding)[0]

    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the first conv layer, (batch, filters, length), before pooling."""
        out = x
        for module in self._first_block:
            if isinstance(module, (nn.MaxPool1d, nn.Dropout)):
                break
            out = module(out)
        return out

    def forward(self, x: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        x = self.global_pool(x) if self.global_pool is not None else x.flatten(1)
        if self.n_features:
            if features is None:
                raise ValueError(f"this model takes {self.n_features} per-sequence features beside the sequence")
            x = torch.cat([x, (features.to(x.dtype) - self.feature_mean) / self.feature_std], dim=1)
        return self.head(x)


def _preset(name: str, **defaults: Any) -> Callable[..., ConvNet]:
    @register(name)
    def build(seq_len: int, n_targets: int, **params: Any) -> ConvNet:
        return ConvNet(seq_len, n_targets, **{**defaults, **params})

    build.__doc__ = f"{name} ConvNet; published defaults: {defaults}"
    return build


# Kelley et al. 2016: 600 bp, 164 DNase targets, 4,135,064 parameters.
basset = _preset(
    "basset",
    conv=[dict(filters=300, width=19, pool=3), dict(filters=200, width=11, pool=4),
          dict(filters=200, width=7, pool=4)],
    dense=[1000, 1000], dense_dropout=0.3, batchnorm=True, padding="valid",
)
# Alipanahi et al. 2015 (ChIP-seq models): 16 detectors of width 24 over the sequence padded by
# width - 1, rectified, max- and average-pooled, 32 hidden units with dropout.
deepbind = _preset("deepbind", conv=[dict(filters=16, width=24)], dense=[32], batchnorm=False,
                   dense_dropout=0.5, global_pool="maxavg", padding="full")
# Zou et al. 2018 notebook: Conv1D(32, 12) without activation, MaxPooling1D(4), Dense(16, relu):
# 6,226 parameters with its two softmax outputs (6,209 with one sigmoid output).
primer = _preset("primer", conv=[dict(filters=32, width=12, pool=4, activation="linear")], dense=[16],
                 batchnorm=False, padding="valid")
# Cuperus et al. 2017: 3 x conv(128, 13, 'same') with dropout 0.15, dense 64: 842,753 parameters on 50 nt.
cuperus = _preset(
    "cuperus",
    conv=[dict(filters=128, width=13, dropout=0.15)] * 3, dense=[64], batchnorm=False,
    dense_dropout=0.15,
)
# Agarwal & Shendure 2020, the best human model: 10.5 kb promoter, conv(128, 6) pool 30,
# conv(32, 9) pool 10, flattened + half-life features, dense 64 and 2 (dropout 0.00099, 0.01546).
xpresso = _preset(
    "xpresso",
    conv=[dict(filters=128, width=6, pool=30), dict(filters=32, width=9, pool=10)],
    dense=[64, 2], dense_dropout=[0.00099, 0.01546], batchnorm=False,
)
cnn = _preset("cnn", conv=[dict(filters=64, width=13)], dense=[32], batchnorm=True)
