"""Prospect bot: the application (settings, wiring) and the domain logic that knows no Telegram."""
