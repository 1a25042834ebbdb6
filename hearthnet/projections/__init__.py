"""Read models: deterministic folds over the log, one module each."""
