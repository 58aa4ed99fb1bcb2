"""CRMDesk: a desktop contact manager for the 8mGenius Contact API."""

__version__ = "0.1.0"
