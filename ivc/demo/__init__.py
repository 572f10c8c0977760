"""The demo: a synthetic population driven through every phase with scripted human steps."""
