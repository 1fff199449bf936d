"""Domain services: plain functions with explicit keyword arguments that never commit."""
