"""The chaos harness: real workers, a real broker and a real database, broken on purpose while they publish."""
