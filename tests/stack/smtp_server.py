"""A real SMTP server on loopback for the stack tests of essp-notify:
aiosmtpd's Controller (Debian's python3-aiosmtpd), which keeps every
message it accepts, can refuse chosen recipients for good (550) or for a
while (451), can ask for AUTH, can give chosen answers to the next AUTH,
MAIL FROM or RCPT TO (a wrong password, a sender refused, a reply in
Latin-1), and can be stopped and started again on the same port (a mail
server that goes down and comes back)."""

import asyncio
import collections
import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Received:
    """One message as one recipient got it."""

    def __init__(self, mail_from, rcpt, data):
        self.mail_from = mail_from
        self.rcpt = rcpt
        self.data = data
        self.message = email.message_from_bytes(data, policy=email.policy.default)
        self.message_id = self.message["Message-ID"]
        self.at = time.monotonic()

    def text(self):
        """The plain-text part, decoded."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def html(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""

    def __repr__(self):
        return "<%s to %s: %s>" % (self.message_id, self.rcpt, self.message["Subject"])


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
        with self.server.changed:
            self.server.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, smtp, session, envelope, address, mail_options):
        scripted = self.server._scripted("MAIL")
        if scripted:
            return scripted
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        return self.server._scripted("RCPT") or self.server._answer_rcpt(envelope, address)

    async def handle_DATA(self, smtp, session, envelope):
        self.server._keep(envelope)
        hook = self.server.before_250
        if hook and hook(envelope):
            # Runs once the 250 below is written to the socket: the
            # coroutine that writes it does not yield before that.
            asyncio.get_running_loop().call_soon(self.server.after_250.set)
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """start() listens on 127.0.0.1:port; stop() closes the port (clients
    then fail to connect); start() again reopens the same port."""

    def __init__(self, port=None, refuse=(), auth=None):
        self.port = port or free_port()
        self.refuse = set(refuse)          # 550 for these addresses, forever
        self.tempfail = {}                 # address -> how many more 451
        self.auth = auth                   # (user, password) or None
        self.messages = []
        self.rcpt_attempts = collections.Counter()
        self.logins = 0
        self.sessions = 0                  # EHLO greetings: one per connection
        self.script = collections.deque()  # (command, reply) given to the next such command
        self.scripted = collections.Counter()   # command -> scripted replies given
        self.changed = threading.Condition()
        self.controller = None
        # before_250(envelope): called with each message kept, before the
        # server answers 250; when it returns true, after_250 is set once
        # that 250 is on its way.
        self.before_250 = None
        self.after_250 = threading.Event()

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def start(self):
        options = {}
        if self.auth:
            options = dict(authenticator=self._authenticate, auth_require_tls=False,
                           auth_required=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     **options)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def answer(self, command, reply, times=1):
        """The next `times` commands `command` ("AUTH", "MAIL", "RCPT") get
        `reply` (str, or bytes sent as they are) instead of the usual
        answer; for AUTH, a refusal (535) whatever reply says."""
        with self.changed:
            self.script.extend([(command, reply)] * times)

    def _scripted(self, command):
        with self.changed:
            if self.script and self.script[0][0] == command:
                self.scripted[command] += 1
                self.changed.notify_all()
                return self.script.popleft()[1]
        return None

    def _authenticate(self, smtp, session, envelope, mechanism, auth_data):
        # handled=False: aiosmtpd then answers the refusal itself (535).
        if self._scripted("AUTH"):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode(), auth_data.password.decode()) == self.auth
        if ok:
            with self.changed:
                self.logins += 1
        return AuthResult(success=ok, handled=False)

    def _answer_rcpt(self, envelope, address):
        with self.changed:
            self.rcpt_attempts[address] += 1
            self.changed.notify_all()
            if address in self.refuse:
                return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
            if self.tempfail.get(address, 0) > 0:
                self.tempfail[address] -= 1
                return "451 4.3.0 <%s>: Try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _keep(self, envelope):
        with self.changed:
            for rcpt in envelope.rcpt_tos:
                self.messages.append(Received(envelope.mail_from, rcpt, envelope.content))
            self.changed.notify_all()

    # -- what the tests look at ----------------------------------------------
    def snapshot(self):
        with self.changed:
            return list(self.messages)

    def wait_for(self, predicate, timeout=30.0, what="the expected mail"):
        """Waits until predicate(messages) is true; returns the messages."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %s within %.0f s; got %d messages: %r"
                                         % (what, timeout, len(self.messages),
                                            self.messages[-10:]))
                self.changed.wait(left)
            return list(self.messages)

    def wait_count(self, count, timeout=30.0):
        return self.wait_for(lambda messages: len(messages) >= count, timeout,
                             "%d messages" % count)

    def to(self, address):
        return [m for m in self.snapshot() if m.rcpt == address]

    def wait_to(self, address, count=1, timeout=30.0):
        self.wait_for(lambda messages: sum(m.rcpt == address for m in messages) >= count,
                      timeout, "%d message(s) to %s" % (count, address))
        return self.to(address)

    def wait_attempts(self, address, count=1, timeout=30.0):
        self.wait_for(lambda _: self.rcpt_attempts[address] >= count, timeout,
                      "%d attempt(s) to deliver to %s" % (count, address))
