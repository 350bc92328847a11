"""The dashboard's own data: engine and sessions, users, stored settings, the event log, the push log."""
