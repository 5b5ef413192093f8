"""Timed work on APScheduler: Party calendar rules, reminders, notices and digests."""
