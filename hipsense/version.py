"""hipsense's version, alone in its module: importing it imports nothing else."""

__version__ = "0.1.0"
