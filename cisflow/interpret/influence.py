"""Filter influence (Basset): each first-layer filter silenced in turn, the change of every output.
"""

import numpy as np
import torch

from cisflow.models.predict import predict


def filter_influence(model, codes, task, batch_size=512, features=None):
    """Basset's influence: what each first-layer filter does to the predictions.

    Each filter in turn is silenced (its output replaced by its mean over these sequences and
    positions, so it carries no information) and the predictions are made again. Returns
    (filters, targets) mean changes, silenced minus intact (negative: the filter raised the
    output), and (filters,) the mean squared change over targets, which ranks filters by what
    they do rather than by what their motif looks like.
    """
    conv = model.first_conv
    intact = predict(model, codes, task=task, batch_size=batch_size, features=features)
    sums, positions = [], []

    def record(module, inputs, output):
        sums.append(output.double().sum(dim=(0, 2)))
        positions.append(output.shape[0] * output.shape[2])

    hook = conv.register_forward_hook(record)
    try:
        predict(model, codes, task=task, batch_size=batch_size, features=features)
    finally:
        hook.remove()
    means = (torch.stack(sums).sum(dim=0) / sum(positions)).float()
    changes = np.zeros((conv.out_channels, intact.shape[1]), np.float32)
    for index in range(conv.out_channels):
        def silence(module, inputs, output, index=index):
            output = output.clone()
            output[:, index] = means[index].to(output.dtype)
            return output

        hook = conv.register_forward_hook(silence)
        try:
            silenced = predict(model, codes, task=task, batch_size=batch_size, features=features)
        finally:
            hook.remove()
        changes[index] = (silenced - intact).mean(axis=0)
    return changes, (changes**2).mean(axis=1)
