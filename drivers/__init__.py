"""Drivers for devices and outside services; they know nothing of the store or the UI."""
