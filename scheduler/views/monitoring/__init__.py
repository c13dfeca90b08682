"""Monitoring and evaluation: attendance, follow-up, reminders, outcomes and the term's report."""
