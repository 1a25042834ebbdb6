"""Replication of the community log between nodes (reconciliation and its driver)."""
