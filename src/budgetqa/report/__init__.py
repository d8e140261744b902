"""Renderers: turning documents (and, later, findings) into text, JSON, CSV and more."""
