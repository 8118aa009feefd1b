"""Telegram in, Telegram out: parse the update, call one service, render the reply."""
