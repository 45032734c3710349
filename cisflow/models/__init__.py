"""Model registry: every architecture is registered by name and built from a plain parameter dict.

``build(name, seq_len=..., n_targets=..., **params)`` returns an ``nn.Module`` that maps one-hot
sequences (batch, 4, length) to outputs (batch, n_targets): logits for classification, values for
regression. Every model exposes ``first_conv`` (its first ``nn.Conv1d``) and ``first_layer(x)``
(that layer's rectified activations, before pooling) with ``first_layer_padding`` (how many
input positions it pads on the left), which interpretation reads, and ``output_layer`` (its
final ``nn.Linear``). A model built with ``n_features`` (only those that support it) takes
``model(x, features)``.

Modules: ``registry`` (``build``, ``build_for_dataset``), ``convnet`` and ``camformer`` (the
architectures and their published presets), ``checkpoint`` (model files: ``save_model``,
``load_model``), ``payload`` (a model file read without trust and checked whole), ``ensemble`` (an
experiment's members as one model file and one module), ``predict`` (one-hot on the device,
predictions on both strands), ``span_recompute`` (both alleles of SNVs through a ConvNet,
recomputing only the changed span: the variant stage's fast path), ``params`` (the config check of
``model.name`` and ``model.params``, without torch).
"""
