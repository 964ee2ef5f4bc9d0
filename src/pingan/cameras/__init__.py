"""Cameras: the public video network (雪亮工程): register, liveness and online rate, coverage (issue 17)."""
