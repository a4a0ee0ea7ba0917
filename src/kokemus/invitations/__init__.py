"""Visit events → e-mail/SMS survey invitations with delay, reminder, quiet hours, caps, opt-out."""
