"""Progress and evaluation: goals, the summary, digests, reports and feedback."""
