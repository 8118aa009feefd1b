"""People: members and teams, roles and invitations, skills, profiles and reliability."""
