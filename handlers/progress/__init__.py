"""Telegram side of progress: /summary, /goals, digests, reports and feedback."""
