"""Identity HTTP API: one router module per group of nouns."""
