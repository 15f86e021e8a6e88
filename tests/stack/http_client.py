"""A small HTTP client for the intake gateway's tests, on Python's
http.client: one connection per request, the status, the headers and the
body as they came, and the JSON of the body when there is one."""

import http.client
import json
import socket
import time


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


class Gateway:
    def __init__(self, port, host="127.0.0.1", timeout=30.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.base = "http://%s:%d" % (host, port)

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def post_json(self, path, document, token=None, key=None, method="POST"):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if key:
            headers["Idempotency-Key"] = key
        body = document if isinstance(document, (bytes, str)) else json.dumps(document, ensure_ascii=False)
        return self.request(method, path, body, headers)

    def status(self, app_id, token):
        headers = {"Authorization": "Bearer " + token} if token else {}
        return self.request("GET", "/api/v1/applications/" + app_id, headers=headers)

    def wait_state(self, app_id, token, states, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            response = self.status(app_id, token)
            assert response.status == 200, response
            if response.json()["state"] in states:
                return response.json()
            if time.monotonic() > deadline:
                raise AssertionError("%s stayed %s" % (app_id, response.json()["state"]))
            time.sleep(0.05)

    def raw(self, data, read_timeout=10.0):
        """Sends bytes on a new connection; returns what the server sent
        back until it closed the connection (or the timeout), and how long
        that took."""
        started = time.monotonic()
        with socket.create_connection((self.host, self.port), timeout=read_timeout) as s:
            s.sendall(data)
            received = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    received += chunk
            except (socket.timeout, ConnectionResetError):
                pass
        return received, time.monotonic() - started
