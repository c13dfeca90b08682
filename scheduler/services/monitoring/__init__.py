"""Monitoring and evaluation during the term: the register, follow-up of people at risk, retention
(attendance.py, followup.py, retention.py), reminders, outcomes and the term's report."""
