"""publisher: Markdown issues -> email-safe HTML + text -> ESP, and a static archive."""

__version__ = "0.1.0"
