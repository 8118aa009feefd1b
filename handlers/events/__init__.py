"""Telegram side of events: planning them and answering invitations (attendance)."""
