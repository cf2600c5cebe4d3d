"""The package version, in a module of its own so that any module can read it without importing the package."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sme-internationalization")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.11.0"
