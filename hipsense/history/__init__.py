"""The history of a runner's sessions in SQLite (see :mod:`hipsense.history.store`)."""
