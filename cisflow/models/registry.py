"""Name -> builder mapping, filled by the ``@register`` decorator in each model module."""

REGISTRY = {}


def register(name):
    def decorate(builder):
        if name in REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        REGISTRY[name] = builder
        return builder

    return decorate


def build(name, **params):
    """Build the model ``name`` with ``params`` (seq_len and n_targets among them)."""
    if name not in REGISTRY:
        raise KeyError(f"unknown model {name!r}; registered models: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](**params)


def build_for_dataset(name, attrs, params):
    """Build the model ``name`` sized for a dataset with attributes ``attrs`` (its sequence length,
    targets and per-sequence features), ``params`` overriding the published sizes."""
    n_features = len(attrs.get("features") or [])
    sizes = dict(seq_len=attrs["seq_len"], n_targets=len(attrs["targets"]))
    return build(name, **sizes, **({"n_features": n_features} if n_features else {}), **params)
