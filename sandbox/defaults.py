"""Well-known values of the sandbox that the dashboard's embedded default relies on."""

# The organization API key the sandbox accepts when none is configured.
DEMO_API_KEY = "sandbox-demo-key"
# The secret the sandbox sends as X-Recrubo-Webhook-Secret when none is configured.
DEMO_WEBHOOK_SECRET = "sandbox-demo-webhook-secret"
# The partner key of the sandbox's management routes when none is configured.
DEMO_PARTNER_KEY = "sandbox-demo-partner-key"
