"""Browser tests: the built site in a real Chromium, driven by Playwright (see conftest.py)."""
