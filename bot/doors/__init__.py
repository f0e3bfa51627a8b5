"""The doors people come in by, outside Rasa: the individuals' Telegram door and its update feed, the mentors' Telegram bot, and the web part (demo page, privacy notice)."""
