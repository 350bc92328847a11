"""The sandbox's own tests: its API, engine and webhooks, in this process."""
