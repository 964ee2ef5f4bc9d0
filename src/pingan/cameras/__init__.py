"""Cameras: the public video network (雪亮工程): register, liveness and online rate, coverage, and the
GB/T 28181 SIP endpoint devices register with (issue 17)."""
