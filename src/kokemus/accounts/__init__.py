"""Organisations, units (a tree), users, memberships and roles, invitations, audit log."""
