"""Local stand-ins for what cannot exist on a test machine: Telegram's Bot API,
a partner's webhook receiver and a mail server (aiosmtpd)."""
