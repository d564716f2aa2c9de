"""Shared helpers for the modeling tests: a tiny, quick training configuration."""
TINY_CONFIG = {"members": 2, "hidden": [8], "epochs": 12, "patience": 4, "batch_size": 64,
               "learning_rate": 0.02, "seed": 11, "baseline_trees": 40}
TRAIN_PARAMS = {"target": "stunting_u5_pct", "level": "district", "year": 2022, "n_splits": 3,
                "config": TINY_CONFIG}
