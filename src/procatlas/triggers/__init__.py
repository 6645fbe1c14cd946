"""Process inventory, event catalog, triggers, cross-process dependencies and post linking."""
