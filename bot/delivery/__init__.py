"""Telling people: the outbox worker, the notices it writes and the notifiers that carry them (Telegram, email, webhooks)."""
