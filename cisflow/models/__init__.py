"""Model registry: every architecture is registered by name and built from a plain parameter dict.

``build(name, seq_len=..., n_targets=..., **params)`` returns an ``nn.Module`` that maps one-hot
sequences (batch, 4, length) to outputs (batch, n_targets): logits for classification, values for
regression. Every model exposes ``first_conv`` (its first ``nn.Conv1d``) and ``first_layer(x)``
(that layer's rectified activations, before pooling) with ``first_layer_padding`` (how many
input positions it pads on the left), which interpretation reads, and ``output_layer`` (its
final ``nn.Linear``). A model built with ``n_features`` (only those that support it) takes
``model(x, features)``.
"""

from cisflow.models import camformer, convnet  # noqa: F401  (register their architectures)
from cisflow.models.registry import REGISTRY, build, build_for_dataset, register

__all__ = ["REGISTRY", "build", "build_for_dataset", "register"]
