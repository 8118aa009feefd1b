"""Telegram side of shifts and tasks: lists and claims, creating shifts, check-in, tasks."""
