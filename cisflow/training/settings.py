"""The training settings of an experiment, typed: one key for each of the config schema's
``experiments.<name>.training`` keys (cisflow/schemas/config.schema.yaml), so that a reader and
mypy can follow, say, ``batch_size`` from the train rule's script to the loop.

The workflow validates the config with the schema's defaults filled in, so every key with a
default is there; ``loss``, ``init_from``, ``max_steps_per_epoch`` and ``subsample`` have none and
may be absent.
"""

from typing import Literal, NotRequired, TypedDict


class TrainingSettings(TypedDict):
    """``experiments.<name>.training`` as the validated config holds it (the schema describes each key)."""

    epochs: int
    batch_size: int
    optimizer: Literal["adam", "adamw", "sgd"]
    lr: float
    weight_decay: float
    loss: NotRequired[Literal["bce", "mse", "l1"]]
    patience: int
    lr_patience: int
    reverse_complement: bool
    init_from: NotRequired[str]
    shift: int
    compile: bool
    selection: str
    seed: int
    resident_limit_gb: float
    max_steps_per_epoch: NotRequired[int]
    subsample: NotRequired[int]
