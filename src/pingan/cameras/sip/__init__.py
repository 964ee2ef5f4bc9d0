"""The GB/T 28181 SIP endpoint cameras and NVRs register with (REGISTER/digest, Keepalive, Catalog)."""

from pingan.cameras.sip.directory import MemoryDirectory, SessionDirectory, SipDirectory
from pingan.cameras.sip.runner import run, serve
from pingan.cameras.sip.server import SipConfig, SipServer

__all__ = ["MemoryDirectory", "SessionDirectory", "SipConfig", "SipDirectory", "SipServer", "run", "serve"]
