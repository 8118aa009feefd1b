"""The delivery engine: the outbox, its renderers, audiences, pacing and dispatcher."""
