# Backups, restores and rewinds of a stream (essp backup, essp restore).
