"""Telegram side of people: /start and deep links, admin commands, time zones and skills."""
