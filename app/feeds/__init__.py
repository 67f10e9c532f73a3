"""Feeds polled on a schedule into the index: the feeds table (store) and the poller."""
