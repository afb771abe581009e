"""Placeholder: filled by the op-definition work."""
