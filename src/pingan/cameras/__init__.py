"""Public video network (雪亮工程): camera registry, liveness and coverage."""
