# The JSON log of requests and events.
