"""FastAGI server for the IVR: see :mod:`hotline.fastagi.server`."""

from hotline.fastagi.server import AgiError, AgiHangup, AgiResult, AgiSession, FastAgiServer

__all__ = ["AgiError", "AgiHangup", "AgiResult", "AgiSession", "FastAgiServer"]
