"""Shifts and tasks: planning them, claiming places (with the waitlist), check-in, sweeps."""
