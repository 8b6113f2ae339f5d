"""The ASGI front door: which service is a request for, and who is calling."""
