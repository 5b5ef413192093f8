"""Timed work: the one APScheduler of a process, the calendar jobs (rules expanded ahead), the
outbox dispatcher (due pushes sent once, in limits) and the periodic steps the features declare."""
