"""AMI adapter over panoramisk's frame parser: see :mod:`hotline.ami.client`."""

from hotline.ami.client import AmiClient
from hotline.ami.messages import AmiError, AmiEvent, AmiMessage, AmiNotConnected, AmiResponse

__all__ = ["AmiClient", "AmiError", "AmiEvent", "AmiMessage", "AmiNotConnected", "AmiResponse"]
