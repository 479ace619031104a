"""Regression evaluation: dataset loading, metrics, runner and report for `podium eval`."""
