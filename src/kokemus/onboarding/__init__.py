"""Onboarding wizard: from sign-up to the first live response in five minutes."""
