# Across hosts: network namespaces as hosts, and systemd on a plain server.
# Label "hosts": run by the default pass of deploy/test when it can.
