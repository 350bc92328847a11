"""What every request passes through: security, errors, htmx, logs, list parameters, sessions."""
