"""Fixed-seed data generators shared by reference solutions and tests."""
