"""Telegram side of reach: group chats, /import and the autopilot switch."""
