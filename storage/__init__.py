"""Storage: SQLModel tables, the engine, repositories returning read models, and migrations."""
