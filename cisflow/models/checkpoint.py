"""Model files that stand alone: parameters, architecture, dataset attributes, package version.

A checkpoint holds plain Python values and tensors only, so it loads with
``torch.load(weights_only=True)``; a model file alone is enough to score new sequences.
A model file is user input (``cisflow predict --model``), so ``load_model`` trusts nothing in it:
anything else than cisflow's own payload, whole and consistent, with finite weights, is refused
with an ``InputError`` (``cisflow.models.payload`` reads and checks it). ``save_model`` refuses to
write weights that are not finite (a diverged training), so the workflow never makes such a file.
"""

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

import cisflow
from cisflow.io.atomic import atomic_path
from cisflow.models.ensemble import load_ensemble
from cisflow.models.payload import build_checked, non_finite_weights, read_payload
from cisflow.models.predict import record_source
from cisflow.types import PathLike


def save_model(path: PathLike, model: nn.Module, model_name: str, model_params: Mapping[str, Any],
               dataset_attrs: Mapping[str, Any], **extra: Any) -> None:
    """Write ``model`` with what is needed to rebuild it; ``extra`` holds plain values (metrics, config).

    Weights that are NaN or infinite are not written: a RuntimeError names the tensor, and nothing
    appears at ``path``.
    """
    weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    problem = non_finite_weights(weights)
    if problem:
        raise RuntimeError(f"{path}: not written: {problem}: the training diverged (try a lower training.lr), or "
                           "the targets' scale overflows float32 once folded into the output layer")
    payload = {
        "model_name": model_name,
        "model_params": model_params,
        "dataset": dataset_attrs,
        "version": cisflow.__version__,
        "state_dict": weights,
        **extra,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(path: PathLike, device: torch.device | str | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """The model in ``path`` (eval mode, on ``device``) and the checkpoint's metadata.

    Parameters
    ----------
    path : str or Path
        A model.pt written by the train rule (``save_model``), or an ensemble of several written by
        the ensemble rule (``cisflow.models.ensemble``).
    device : torch.device or str, optional
        Where to put the model (CPU by default).

    Returns
    -------
    (torch.nn.Module, dict)
        The model, mapping one-hot (batch, 4, seq_len) to (batch, n_targets) logits or values,
        and the metadata: ``model_name``, ``model_params``, ``dataset`` (the dataset's attributes:
        ``task``, ``seq_len``, ``targets``...) and ``version``. An ensemble is an
        ``ensemble.Ensemble`` (the mean of its members' logits or values) whose metadata also
        lists its ``members``.

    Every failure is an ``InputError`` saying what the file is and that it was not loaded. The
    architecture is first built on the meta device and its every tensor's shape compared with the
    file's, so sizes that do not match the stored weights (a crafted file asking for terabytes)
    are refused before allocating.
    """
    payload = read_payload(path)
    if isinstance(payload, dict) and "ensemble" in payload:
        ensemble, meta = load_ensemble(path, payload, device)
        record_source(ensemble, str(path))
        return ensemble, meta
    model = build_checked(path, payload)
    del payload["state_dict"]
    model.to(device or "cpu").eval()
    record_source(model, str(path))  # named where its outputs are refused (predict.check_finite)
    return model, payload


def strand_symmetric(meta: Mapping[str, Any]) -> bool:
    """Whether predictions should average both strands: only for models trained on both.

    A model trained with reverse-complement augmentation learned that a sequence and its
    reverse complement are the same thing (genomic regions); one trained on oriented sequences
    (promoters in a plasmid, DREAM-style tables) did not, and its reverse-strand prediction is noise.
    """
    return bool(meta.get("training", {}).get("reverse_complement", False))
