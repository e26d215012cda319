"""Engines run analyses over datasets: ``local`` streams batches in this process and worker processes."""

from modelwatch.engines.local import ProfileRun, profile_dataset

__all__ = ["ProfileRun", "profile_dataset"]
