"""Model files that stand alone: parameters, architecture, dataset attributes, package version.

A checkpoint holds plain Python values and tensors only, so it loads with
``torch.load(weights_only=True)``; a model file alone is enough to score new sequences.
"""

import torch

import cisflow
from cisflow.atomic import atomic_path
from cisflow.models import build_for_dataset


def save_model(path, model, model_name, model_params, dataset_attrs, **extra):
    """Write ``model`` with what is needed to rebuild it; ``extra`` holds plain values (metrics, config)."""
    payload = {
        "model_name": model_name,
        "model_params": model_params,
        "dataset": dataset_attrs,
        "version": cisflow.__version__,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **extra,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(path, device=None):
    """The model in ``path`` (eval mode, on ``device``) and the checkpoint's metadata.

    The metadata has ``model_name``, ``model_params``, ``dataset`` (the dataset's attributes:
    ``task``, ``seq_len``, ``targets``...) and ``version``.
    """
    payload = torch.load(path, map_location="cpu", weights_only=True)
    dataset = payload["dataset"]
    model = build_for_dataset(payload["model_name"], dataset, payload["model_params"])
    model.load_state_dict(payload.pop("state_dict"))
    model.to(device or "cpu").eval()
    return model, payload


def strand_symmetric(meta):
    """Whether predictions should average both strands: only for models trained on both.

    A model trained with reverse-complement augmentation learned that a sequence and its
    reverse complement are the same thing (genomic regions); one trained on oriented sequences
    (promoters in a plasmid, DREAM-style tables) did not, and its reverse-strand prediction is noise.
    """
    return bool(meta.get("training", {}).get("reverse_complement", False))
