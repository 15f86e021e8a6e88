# Metrics (Prometheus) and health of every service.
