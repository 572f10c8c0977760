"""Encryption at rest: data keys with ids (so they can rotate), encrypted text columns for
special-category details, sealed evidence blobs, and the rotation pass."""
