"""Metrics as Prometheus reads them: Debian's real `prometheus` scrapes a
stack on loopback every second (a configuration made for the stack's
ports, with deploy/prometheus/essp-rules.yml loaded), and its HTTP API
(/api/v1/query) tells:
  - the requests the test sent, by type and outcome (submissions, votes,
    one refused submission and its rule), no more and no fewer;
  - each consumer's lag: 0 once everything is caught up; above 0, in the
    producer's view (essp_reader_lag), while a consumer is stopped
    (SIGSTOP) and its producer keeps appending; 0 again once it resumes.
Every check waits for a sample scraped after the state it checks became
true (its timestamp after that moment), never for a fixed time."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from essp_client import METRICS_OFFSETS, SERVICES, Client, metrics_url  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.ROOT, "build", "bin"))
RULES = os.path.join(harness.ROOT, "deploy", "prometheus", "essp-rules.yml")
MEMBERS = (("Claire Moreau", "researchers"), ("Hervé Le Guen", "local_authorities"),
           ("Sophie Bernard", "ess_networks"))
APPLICATIONS = 5
stack = harness.Stack(BIN)
prometheus = {}


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.status, reply.read().decode("utf-8")


def wait_for(predicate, what, timeout=30.0):
    """Polls predicate (a state the test made true) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def start_prometheus():
    """Debian's prometheus on 127.0.0.1, in the stack's own block of ports
    (base + 30), scraping the four services' metrics ports every second."""
    directory = tempfile.mkdtemp(prefix="essp-prometheus-", dir=stack.home)
    port = stack.port + 30
    targets = ["127.0.0.1:%d" % (stack.port + METRICS_OFFSETS[s]) for s in SERVICES]
    config = os.path.join(directory, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files:\n  - %s\n"
                "scrape_configs:\n  - job_name: essp\n    static_configs:\n      - targets: %s\n"
                % (json.dumps(RULES), json.dumps(targets)))
    log = open(os.path.join(stack.home, "log", "prometheus.stderr"), "ab")
    process = subprocess.Popen(
        ["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(directory, "data"),
         "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
        stdout=log, stderr=log, cwd=directory)
    log.close()
    prometheus.update(process=process, url="http://127.0.0.1:%d" % port)

    def ready():
        assert process.poll() is None, "prometheus exited: see log/prometheus.stderr"
        try:
            return http_get(prometheus["url"] + "/-/ready", timeout=1)[0] == 200
        except OSError:
            return False
    wait_for(ready, "prometheus to be ready")

    def all_scraped():
        # Prometheus hands new targets to its scrapers a few seconds after
        # its start: wait until each service's port has been scraped.
        targets = json.loads(http_get(prometheus["url"] + "/api/v1/targets")[1])["data"]["activeTargets"]
        return len(targets) == len(SERVICES) and all(t["health"] == "up" for t in targets)
    wait_for(all_scraped, "prometheus to scrape every service")


def query(expression):
    """The instant vector of an expression: [(labels, value)]."""
    url = prometheus["url"] + "/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    status, body = http_get(url)
    reply = json.loads(body)
    assert status == 200 and reply["status"] == "success", body
    return [(r["metric"], float(r["value"][1])) for r in reply["data"]["result"]]


def scraped_after(metric, moment, what):
    """The samples of `metric` (a selector) from the first scrape of each
    series that began after `moment` (time.time()): {labels: value}.
    timestamp() gives each sample's own scrape time, not the query's."""
    def samples():
        stamps = query("timestamp(%s)" % metric)
        if not stamps or min(value for _, value in stamps) <= moment:
            return None
        values = {json.dumps(labels, sort_keys=True): value for labels, value in query(metric)}
        return values or None
    return wait_for(samples, "a scrape of %s after %s" % (metric, what))


def service_metric(service, line_start):
    """The value of one line of a service's own /metrics, or None."""
    status, text = http_get(metrics_url(stack.port, service))
    assert status == 200
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def one(values):
    assert len(values) == 1, values
    return next(iter(values.values()))


def submit(n):
    document = harness.numbered_fixture(9000 + n)
    receipt = Client(stack.port, "intake").call("submit", application=document, key="metrics-%d" % n)
    assert receipt["type"] == "receipt", receipt
    return receipt["id"]


def test_request_counts_reach_prometheus():
    for name, college in MEMBERS:
        stack.essp_json("member", "add", name, "--college", college)
    ids = [submit(n) for n in range(APPLICATIONS)]
    # Each submission's key, SIRET and contact address wait in intake's
    # memory (and its log) until a sweep, from 4,096 writes: its gauge says so.
    index_line = 'essp_intake_index_writes{service="intake"}'
    wait_for(lambda: service_metric("intake", index_line) == 3 * APPLICATIONS, "intake's index writes")
    # Two refused: a submission without its application (by the catalogue,
    # before the type is known for sure: counted as type "invalid"), and
    # the status of an application that does not exist (by intake's core).
    refused = Client(stack.port, "intake").call("submit", key="metrics-bad")
    assert refused["type"] == "error" and refused["field"] == "application", refused
    unknown = Client(stack.port, "intake").call("status", id="00000000000000ab", token="x" * 43)
    assert unknown["type"] == "error", unknown
    for app_id in ids:
        stack.wait_state(app_id, "in_review")
    votes = 0
    for app_id in ids[:2]:
        for name, _ in MEMBERS:
            reply = stack.review_as(name).call("vote", id=app_id, decision="approve")
            assert reply["type"] == "vote_ack", reply
            votes += 1
    # The state is true once each service's own snapshot says so.
    submit_line = 'essp_requests_total{service="intake",type="submit",outcome="ok"}'
    vote_line = 'essp_requests_total{service="review",type="vote",outcome="ok"}'
    wait_for(lambda: service_metric("intake", submit_line) == APPLICATIONS, "intake's own count of submissions")
    wait_for(lambda: service_metric("review", vote_line) == votes, "review's own count of votes")
    moment = time.time()
    assert one(scraped_after(submit_line, moment, "the submissions")) == APPLICATIONS
    assert one(scraped_after(vote_line, moment, "the votes")) == votes
    invalid = scraped_after('essp_requests_total{service="intake",type="invalid",outcome="%s"}' % refused["code"],
                            moment, "the refused submission")
    assert one(invalid) == 1, invalid
    not_found = scraped_after('essp_requests_total{service="intake",type="status",outcome="%s"}' % unknown["code"],
                              moment, "the refused status")
    assert one(not_found) == 1, not_found
    rules = scraped_after('essp_errors_total{service="intake"}', moment, "the refusals' rules")
    by_rule = {json.loads(labels)["rule"]: value for labels, value in rules.items()}
    assert by_rule == {refused["rule"]: 1, unknown["rule"]: 1}, by_rule
    latency = scraped_after('essp_request_duration_microseconds_count{service="review",type="vote"}', moment,
                            "the votes' latency")
    assert one(latency) == votes, latency
    commits = scraped_after('essp_commit_items_count{service="intake"}', moment, "intake's commits")
    assert one(commits) >= 1, commits
    space = scraped_after('essp_disk_free_bytes{service="review"}', moment, "review's disk space")
    assert one(space) > 0, space


def caught_up():
    """Every consumer's lag 0 in its own snapshot, and every stream's head
    what its consumers applied: the state "caught up"."""
    for service in SERVICES:
        status, text = http_get(metrics_url(stack.port, service))
        for line in text.splitlines():
            if line.startswith(("essp_consumer_lag{", "essp_reader_lag{")) and not line.endswith(" 0"):
                return False
    return True


def test_consumer_lag_in_prometheus():
    wait_for(caught_up, "every consumer to catch up")
    moment = time.time()
    lags = scraped_after("essp_consumer_lag", moment, "the catch-up")
    assert len(lags) == 6 and set(lags.values()) == {0.0}, lags   # intake 3, validation, review, publication
    assert set(scraped_after("essp_reader_lag", moment, "the catch-up").values()) == {0.0}

    # review stopped: validation appends what review cannot pull.
    review = stack.processes["review"]
    review.send_signal(signal.SIGSTOP)
    try:
        head_line = 'essp_stream_head{service="validation"}'
        before = service_metric("validation", head_line)
        for n in range(APPLICATIONS, APPLICATIONS + 3):
            submit(n)
        wait_for(lambda: service_metric("validation", head_line) >= before + 3, "validation's 3 new events")
        moment = time.time()
        lag = scraped_after('essp_reader_lag{service="validation",reader="review"}', moment,
                            "validation's new events")
        assert one(lag) >= 3, lag
        # Prometheus sees review down meanwhile.
        down = scraped_after('up{instance="127.0.0.1:%d"}' % (stack.port + METRICS_OFFSETS["review"]), moment,
                             "review stopping")
        assert one(down) == 0, down
    finally:
        review.send_signal(signal.SIGCONT)
    wait_for(caught_up, "review to catch up after SIGCONT")
    moment = time.time()
    assert one(scraped_after('essp_reader_lag{service="validation",reader="review"}', moment, "the catch-up")) == 0
    assert one(scraped_after('essp_consumer_lag{service="review"}', moment, "the catch-up")) == 0
    applied = scraped_after('essp_consumer_events_applied_total{service="review",producer="validation"}', moment,
                            "the catch-up")
    assert one(applied) >= APPLICATIONS + 3, applied


def main():
    try:
        stack.start()
        start_prometheus()
        harness.run([test_request_counts_reach_prometheus, test_consumer_lag_in_prometheus])
    finally:
        if prometheus.get("process"):
            prometheus["process"].terminate()
            prometheus["process"].wait(timeout=15)
        stack.cleanup()


if __name__ == "__main__":
    main()
