"""Tests for douane.dataset."""
