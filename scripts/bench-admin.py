#!/usr/bin/python3
"""Admin panel latency and memory benchmark (make bench-admin).

Builds a provider database with one gateway holding a year of 1-minute readings plus
200 gateways reporting recently (2 sensors each), starts the release tenant-admin on it,
waits for the lazy hourly rollup to catch up, signs in through the real form and measures
the latency of the dashboard, the month chart (SVG) and the gateway page with a month
chart over one keep-alive connection. Then starts a second instance with an SMTP server
(aiosmtpd) and one queued mail, to measure memory once libcurl has been loaded.
Prints a Markdown table.

usage: bench-admin.py PATH/TO/tenant-admin [requests] [recent-gateways]
"""
import crypt, http.client, math, os, re, shutil, socket, sqlite3, subprocess, sys, tempfile, time

binary = sys.argv[1]
requests = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
recent = int(sys.argv[3]) if len(sys.argv) > 3 else 200
work = tempfile.mkdtemp(prefix="bench-admin-")
db_path = os.path.join(work, "bench.db")
store = "sqlite:" + db_path

subprocess.run([binary, "--provider", "bench", "--store", store, "--migrate-only"], check=True, stderr=subprocess.DEVNULL)

MINUTE = 60_000
now = int(time.time() * 1000) // MINUTE * MINUTE
year_start = now - 365 * 24 * 60 * MINUTE

def power(at, peak):
    second = (at % 86_400_000) / 1000
    if second <= 6 * 3600 or second >= 18 * 3600:
        return 0.0
    return round(peak * math.sin(math.pi * (second - 6 * 3600) / (12 * 3600)))

t0 = time.time()
db = sqlite3.connect(db_path)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
db.execute("INSERT INTO customers (name, created_at, recipients) VALUES ('Bench Farm', ?, '')", (now,))
db.execute("INSERT INTO gateways (id, customer_id, site, first_seen, last_seen) VALUES ('gw-year', 1, 'Roof', ?, ?)", (year_start, now))
def year_rows():
    energy = 0.0
    for at in range(year_start, now, MINUTE):
        p = power(at, 5000)
        yield ("gw-year", at, "inv-1", p, energy, 230.0, p / 230, 30.0)
        energy += p / 60
db.executemany("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)", year_rows())
for g in range(recent):
    gid = "gw-%03d" % g
    db.execute("INSERT INTO gateways (id, customer_id, first_seen, last_seen) VALUES (?, ?, ?, ?)", (gid, 1 if g % 2 else None, now - 7_200_000, now - (0 if g % 4 else 3_600_000)))
    db.executemany("INSERT INTO readings (gateway, at, sensor, power) VALUES (?, ?, ?, ?)",
                   [(gid, at, s, power(at, 1500)) for at in range(now - 7_200_000, now - (0 if g % 4 else 3_600_000), MINUTE) for s in ("a", "b")])
db.commit()
db.close()
rows_seconds = time.time() - t0

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
password = "bench-password-123"
env = dict(os.environ, TENANT_ADMIN_BOOTSTRAP_HASH=crypt.crypt(password, "$y$j9T$benchbenchbenchb$"))
log_path = os.path.join(work, "admin.log")
log = open(log_path, "w")
started = time.time()
server = subprocess.Popen([binary, "--provider", "bench", "--store", store, "--listen", "127.0.0.1:%d" % port], env=env, stderr=log)
try:
    # The lazy rollup of a year of closed hours runs once, in the background, at start.
    deadline = time.time() + 600
    while "rolled up closed hours" not in open(log_path).read():
        if time.time() > deadline or server.poll() is not None:
            sys.exit("rollup did not finish; log:\n" + open(log_path).read())
        time.sleep(0.2)
    rollup_seconds = time.time() - started
    time.sleep(1)

    def rss_mb():
        """(resident, of which private anonymous) in MB."""
        fields = {}
        for line in open("/proc/%d/status" % server.pid):
            if line.startswith(("VmRSS:", "RssAnon:")):
                key, value = line.split()[:2]
                fields[key] = int(value) / 1024
        return fields["VmRSS:"], fields["RssAnon:"]
    idle_rss = rss_mb()

    conn = http.client.HTTPConnection("127.0.0.1", port)
    def request(method, path, body=None, headers=None):
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response, data
    response, _ = request("GET", "/login")
    csrf = re.search(r"tc_csrf=([0-9a-f]+)", response.getheader("Set-Cookie")).group(1)
    response, _ = request("POST", "/login", body="csrf=%s&username=admin&password=%s" % (csrf, password),
                          headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": "tc_csrf=" + csrf})
    assert response.status == 303, response.status
    session = re.search(r"tc_session=([0-9a-f]+)", response.getheader("Set-Cookie")).group(1)
    cookie = {"Cookie": "tc_csrf=%s; tc_session=%s" % (csrf, session)}

    t = time.perf_counter()
    response, _ = request("GET", "/", headers=cookie)
    first_dashboard_ms = (time.perf_counter() - t) * 1000
    assert response.status == 200

    def measure(path, count):
        for _ in range(min(50, count)):
            request("GET", path, headers=cookie)
        samples = []
        for _ in range(count):
            t = time.perf_counter()
            response, data = request("GET", path, headers=cookie)
            samples.append((time.perf_counter() - t) * 1000)
            assert response.status == 200, (path, response.status)
        samples.sort()
        return samples[len(samples) // 2], samples[int(len(samples) * 0.99) - 1], len(data)

    results = [
        ("dashboard `/` (%d gateways)" % (recent + 1),) + measure("/", requests),
        ("month chart `/gateways/gw-year/chart.svg?range=month`",) + measure("/gateways/gw-year/chart.svg?range=month", requests),
        ("gateway page, month range",) + measure("/gateways/gw-year?range=month", requests // 2),
        ("gateway page, day range (raw 1-minute points)",) + measure("/gateways/gw-year?range=day", requests // 2),
        ("gateway page, default last 24 h (per-sensor lines, hover values)",) + measure("/gateways/gw-year", requests // 2),
        ("gateways list `/gateways` (first page of 50)",) + measure("/gateways", requests // 2),
        ("gateways list sorted by power (the dashboard's shared figures)",) + measure("/gateways?sort=power&order=desc", requests // 4),
        ("energy report CSV, one year",) + measure("/reports?gateway=gw-year&from=%s&to=%s&format=csv" % (
            time.strftime("%Y-%m-%d", time.gmtime(year_start / 1000 + 86400)), time.strftime("%Y-%m-%d", time.gmtime(now / 1000 - 86400))), 100),
    ]
    loaded_rss = rss_mb()
    print("| request | p50 ms | p99 ms | bytes |")
    print("|---|---:|---:|---:|")
    for name, p50, p99, size in results:
        print("| %s | %.2f | %.2f | %d |" % (name, p50, p99, size))
    print()
    print("readings in the year gateway: %d (1 sensor, 1-minute); data generation %.1f s" % (365 * 24 * 60, rows_seconds))
    print("first lazy rollup of the year (8760 hours) done %.1f s after start" % rollup_seconds)
    print("first dashboard request (power and energy totals computed, not shared): %.1f ms" % first_dashboard_ms)
    print("resident memory (VmRSS, of which private RssAnon): idle %.1f MB (%.1f MB), after the run %.1f MB (%.1f MB)" % (idle_rss + loaded_rss))
finally:
    server.terminate()
    server.wait(timeout=30)

# Memory once a mail went out: delivery runs in a short-lived `--deliver-mail` child process,
# so libcurl and its TLS stack must not show up in the server's memory.
try:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); smtp_port = s.getsockname()[1]; s.close()
    sink = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % smtp_port, "-c", "aiosmtpd.handlers.Sink"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = sqlite3.connect(db_path)
    db.execute("INSERT INTO outbox (dedupe_key, recipients, subject, text_body, html_body, created_at, next_attempt_at) VALUES ('bench', 'ops@example.com', 'bench', 'text', '<p>html</p>', ?, 0)", (now,))
    db.commit()
    db.close()
    mail_env = dict(env, TENANT_SMTP_URL="smtp://127.0.0.1:%d" % smtp_port, TENANT_MAIL_FROM="panel@example.com")
    time.sleep(0.5)
    server = subprocess.Popen([binary, "--provider", "bench", "--store", store, "--listen", "127.0.0.1:%d" % port], env=mail_env, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        db = sqlite3.connect(db_path)
        sent = db.execute("SELECT sent_at FROM outbox WHERE dedupe_key = 'bench'").fetchone()[0]
        db.close()
        if sent: break
        time.sleep(0.2)
    time.sleep(2)
    fields = {}
    for line in open("/proc/%d/status" % server.pid):
        if line.startswith(("VmRSS:", "RssAnon:")):
            key, value = line.split()[:2]
            fields[key] = int(value) / 1024
    print("resident memory after delivering a mail (through a --deliver-mail child process): %.1f MB (%.1f MB)%s" % (
        fields["VmRSS:"], fields["RssAnon:"], "" if sent else " -- the mail was NOT sent"))
    server.terminate()
    server.wait(timeout=30)
    sink.terminate()
finally:
    shutil.rmtree(work, ignore_errors=True)
