"""The only code that knows the Recrubo API: the client, search, counting, webhook subscriptions, the sandbox mount."""
