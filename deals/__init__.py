"""Deal registration: matching, conflicts, routing, expiry."""
