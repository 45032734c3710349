"""Training and held-out evaluation.

``train`` (the train rule: the loop, resume checkpoints, the lock and the workflow watch),
``batches`` (the split on the device, one-hot per batch), ``distributed`` (DDP through torchrun),
``search`` (Optuna search: the search_trials and search_best rules), ``metrics`` (AUROC, AUPRC,
Pearson, Spearman, R², the validation score), ``evaluate`` (the evaluate rule).
"""
