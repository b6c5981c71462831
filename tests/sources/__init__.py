"""Tests for douane.sources."""
