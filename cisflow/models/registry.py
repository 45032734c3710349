"""Name -> builder mapping, filled by the ``@register`` decorator in each model module.

The architectures' modules import torch; they are loaded when a model is first built or listed
(``registered``), so that importing ``cisflow.models`` costs nothing where no model is needed
(the report's env, the workflow's config check).
"""

import dataclasses
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import torch

ARCHITECTURES = ("cisflow.models.convnet", "cisflow.models.camformer")  # the modules that register models
_REGISTRY: dict[str, Callable[..., "torch.nn.Module"]] = {}
SIZED_BY_DATASET = ("seq_len", "n_targets", "n_features")  # set by build_for_dataset, not by model.params


Builder = TypeVar("Builder", bound=Callable[..., "torch.nn.Module"])


def register(name: str) -> Callable[[Builder], Builder]:
    """A decorator that registers a model builder under ``name`` (twice is a ValueError)."""

    def decorate(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = builder
        return builder

    return decorate


def registered() -> dict[str, Callable[..., "torch.nn.Module"]]:
    """{name: builder} of every architecture."""
    for module in ARCHITECTURES:
        importlib.import_module(module)
    return _REGISTRY


def build(name: str, **params: Any) -> "torch.nn.Module":
    """Build the model ``name`` from plain parameters.

    Parameters
    ----------
    name : str
        A registered architecture (``registered()``): basset, deepbind, primer, cuperus,
        camformer, xpresso, cnn.
    **params
        ``seq_len`` and ``n_targets`` (and ``n_features`` for a model that takes per-sequence
        features), then overrides of the architecture's published sizes.

    Returns
    -------
    torch.nn.Module
        Maps one-hot sequences (batch, 4, seq_len) to outputs (batch, n_targets): logits for
        classification, values for regression.
    """
    models = registered()
    if name not in models:
        raise KeyError(f"unknown model {name!r}; registered models: {', '.join(sorted(models))}")
    return models[name](**params)


def build_for_dataset(name: str, attrs: Mapping[str, Any], params: Mapping[str, Any]) -> "torch.nn.Module":
    """Build the model ``name`` sized for a dataset with attributes ``attrs`` (its sequence length,
    targets and per-sequence features), ``params`` overriding the published sizes."""
    n_features = len(attrs.get("features") or [])
    sizes = dict(seq_len=attrs["seq_len"], n_targets=len(attrs["targets"]))
    return build(name, **sizes, **({"n_features": n_features} if n_features else {}), **params)


def parameters(name: str) -> dict[str, dict[str, list[str]] | None]:
    """The ``model.params`` keys the model ``name`` takes, read from the code so that the config
    check (``cisflow.models.params``) cannot drift from it: the builder's named parameters or, for a
    builder that passes ``**params`` on, those of the model class it builds. Each maps to None, or
    for a list of layer dicts (a parameter of the class's ``LAYERS``: a ConvNet's ``conv``) to the
    keys a layer must and may hold, the fields of its layer class without and with a default."""
    builder = registered()[name]
    signature = inspect.signature(builder)
    layers: dict[str, type] = {}  # a parameter that is a list of layer dicts -> the layer's class
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        refs = inspect.getclosurevars(builder)
        classes = [value for value in {**refs.globals, **refs.nonlocals}.values() if isinstance(value, type)]
        if len(classes) != 1:
            raise TypeError(f"cannot tell which parameters model {name!r} takes: its builder passes **params on "
                            "to no single class; give the builder named parameters")
        signature, layers = inspect.signature(classes[0]), getattr(classes[0], "LAYERS", {})
    accepted = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name in SIZED_BY_DATASET:
            continue
        accepted[param.name] = _layer_keys(layers[param.name]) if param.name in layers else None
    return accepted


def _layer_keys(layer_class):
    """The keys a layer dict must and may hold: the fields of ``layer_class`` (a dataclass) without
    and with a default."""
    fields = dataclasses.fields(layer_class)
    return {"required": sorted(f.name for f in fields if not _has_default(f)),
            "optional": sorted(f.name for f in fields if _has_default(f))}


def _has_default(field):
    return field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
