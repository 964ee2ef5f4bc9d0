"""The GB/T 28181 SIP endpoint cameras and NVRs register with (REGISTER/digest, Keepalive, Catalog)."""

from pingan.cameras.sip.directory import MemoryDirectory, SipDirectory
from pingan.cameras.sip.server import SipConfig, SipServer, run, serve

__all__ = ["MemoryDirectory", "SipConfig", "SipDirectory", "SipServer", "run", "serve"]
