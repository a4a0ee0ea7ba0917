"""Follow-up cases, praise, idea board, actions and their measured impact."""
