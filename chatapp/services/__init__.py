"""Domain operations: the only code that commits to the database or emits events."""
