# Storage trouble as a temporary failure, and memory returned after a backlog.
