"""Events: planning, who may see them, invitations, attendance and duties (role shifts)."""
