"""Plain convolutional networks: conv blocks, then dense layers, then one output per target.

The published CNNs that differ only in sizes (Basset, DeepBind, the primer CNN, Cuperus 2017) are
registered here as presets of one class; the defaults of each preset are the published sizes.
"""

from torch import nn

from cisflow.models.registry import register


class ConvNet(nn.Module):
    """Conv blocks (conv, optional batch norm, ReLU, optional max pool, optional dropout) + dense.

    ``conv`` is a list of dicts with ``filters``, ``width`` and optional ``pool`` and ``dropout``;
    ``dense`` a list of hidden sizes. ``global_pool`` ('max', 'avg' or None) pools the last conv
    block over the whole sequence, as DeepBind does (average pooling counts motif instances).
    ``padding`` 'same' pads each conv by width // 2; 'valid' (Basset's Torch7 layers) not at all.
    """

    def __init__(self, seq_len, n_targets, conv, dense=(), batchnorm=True, dense_dropout=0.0,
                 global_pool=None, padding="same"):
        super().__init__()
        blocks, channels, length = [], 4, seq_len
        for layer in conv:
            width = layer["width"]
            pad = width // 2 if padding == "same" else 0
            block = [nn.Conv1d(channels, layer["filters"], width, padding=pad)]
            length = length + 2 * pad - width + 1
            if batchnorm:
                block.append(nn.BatchNorm1d(layer["filters"]))
            block.append(nn.ReLU())
            if layer.get("pool", 1) > 1:
                block.append(nn.MaxPool1d(layer["pool"], ceil_mode=True))
                length = -(-length // layer["pool"])
            if layer.get("dropout", 0) > 0:
                block.append(nn.Dropout(layer["dropout"]))
            blocks.append(nn.Sequential(*block))
            channels = layer["filters"]
        self.blocks = nn.ModuleList(blocks)
        self.global_pool = {"max": nn.AdaptiveMaxPool1d(1), "avg": nn.AdaptiveAvgPool1d(1), None: None}[global_pool]
        features = channels * (1 if self.global_pool else length)
        head = []
        for size in dense:
            head += [nn.Linear(features, size)]
            if batchnorm:
                head.append(nn.BatchNorm1d(size))
            head.append(nn.ReLU())
            if dense_dropout > 0:
                head.append(nn.Dropout(dense_dropout))
            features = size
        head.append(nn.Linear(features, n_targets))
        self.head = nn.Sequential(*head)

    @property
    def output_layer(self):
        """The final nn.Linear (training folds the regression target scaling into it)."""
        return self.head[-1]

    @property
    def first_conv(self):
        return self.blocks[0][0]

    @property
    def first_layer_padding(self):
        return self.first_conv.padding[0]

    def first_layer(self, x):
        """Rectified activations of the first conv layer, (batch, filters, length), before pooling."""
        out = x
        for module in self.blocks[0]:
            if isinstance(module, (nn.MaxPool1d, nn.Dropout)):
                break
            out = module(out)
        return out

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        if self.global_pool is not None:
            x = self.global_pool(x)
        return self.head(x.flatten(1))


def _preset(name, **defaults):
    @register(name)
    def build(seq_len, n_targets, **params):
        return ConvNet(seq_len, n_targets, **{**defaults, **params})

    build.__doc__ = f"{name} ConvNet; published defaults: {defaults}"
    return build


basset = _preset(
    "basset",
    conv=[dict(filters=300, width=19, pool=3), dict(filters=200, width=11, pool=4),
          dict(filters=200, width=7, pool=4)],
    dense=[1000, 1000], dense_dropout=0.3, batchnorm=True, padding="valid",
)
deepbind = _preset("deepbind", conv=[dict(filters=16, width=24)], dense=[32], batchnorm=False,
                   dense_dropout=0.5, global_pool="max")
primer = _preset("primer", conv=[dict(filters=32, width=12, pool=4)], dense=[16], batchnorm=False)
cuperus = _preset(
    "cuperus",
    conv=[dict(filters=128, width=13, dropout=0.15)] * 3, dense=[64], batchnorm=False,
    dense_dropout=0.15,
)
cnn = _preset("cnn", conv=[dict(filters=64, width=13)], dense=[32], batchnorm=True)
