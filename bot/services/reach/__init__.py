"""Reaching the whole campaign: team group chats, volunteer list imports, the staffing autopilot."""
