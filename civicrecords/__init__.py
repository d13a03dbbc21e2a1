"""civicrecords: official social media kept as evidence and answered from in records requests."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("civicrecords")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
