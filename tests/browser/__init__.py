"""Tests that drive pages in headless Chromium (marked `browser`)."""
