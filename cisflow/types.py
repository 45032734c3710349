"""Type aliases the library's hints share; imports nothing of cisflow (the ground floor)."""

import os

PathLike = str | os.PathLike[str]
"""A file or folder path as callers give it: text or a Path."""
