"""Scheduled jobs: plain functions of (session factory, clock, Slack client), and delivery."""
