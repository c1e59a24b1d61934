#!/usr/bin/python3
"""Signs in to a running tenant-admin through its real login form with headless
Chromium, then saves the DOM and a screenshot of each given page.

Drives Chromium over the DevTools protocol (a minimal websocket client, standard
library only), because Chromium has no flag to set a cookie or fill a form.

usage: cdp-snapshot.py CHROMIUM BASE_URL USER PASSWORD OUT_DIR [--widths=W,W,...] STEP [STEP ...]
STEP is one of
  NAME=PATH                         load PATH
  submit:NAME=PATH|FORM_ID|FIELDS   load PATH, set the fields (urlencoded) of form#FORM_ID, submit it
  burst:NAME=USER|N                 N wrong-password sign-ins for USER at once (fetch from the page);
                                    writes OUT_DIR/NAME.json: {"statuses": {"401": 5, "429": 55}, "resent": 0, "ms": ...}
Each loaded page is saved as OUT_DIR/NAME.html and OUT_DIR/NAME.png (at 1280 px wide); with
--widths, the layout is measured in the browser at each width (OUT_DIR/NAME.layout.json:
{"390": {"scrollWidth": ..., "clientWidth": ..., "overflowing": [...], "chartFontPx": ...}, ...})
and a screenshot kept per width (OUT_DIR/NAME@W.png).
"""
import base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request

chromium, base, user, password, outdir = sys.argv[1:6]
widths = []
steps = []
for arg in sys.argv[6:]:
    if arg.startswith("--widths="):
        widths = [int(w) for w in arg[len("--widths="):].split(",")]
    else:
        steps.append(arg)
profile = tempfile.mkdtemp(prefix="cdp-profile-")
proc = subprocess.Popen(
    [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
     "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=1280,900", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
sock = None
try:
    portfile = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 60
    while not (os.path.exists(portfile) and os.path.getsize(portfile) > 0):
        if time.time() > deadline or proc.poll() is not None:
            sys.exit("chromium did not start")
        time.sleep(0.1)
    port = int(open(portfile).read().split()[0])
    targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port))
    ws_url = [t for t in targets if t["type"] == "page"][0]["webSocketDebuggerUrl"]
    hostport, path = ws_url[len("ws://"):].split("/", 1)
    host, p = hostport.rsplit(":", 1)
    sock = socket.create_connection((host, int(p)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        sys.exit("websocket refused: %r" % head)

    def recv_exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                sys.exit("devtools socket closed")
            buf += chunk
        return buf

    def send(obj):
        data = json.dumps(obj).encode()
        header = bytearray([0x81])
        n = len(data)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126); header += n.to_bytes(2, "big")
        else:
            header.append(0x80 | 127); header += n.to_bytes(8, "big")
        mask = os.urandom(4)
        sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv():
        message = b""
        while True:
            b1, b2 = recv_exact(2)
            n = b2 & 0x7F
            if n == 126:
                n = int.from_bytes(recv_exact(2), "big")
            elif n == 127:
                n = int.from_bytes(recv_exact(8), "big")
            payload = recv_exact(n)
            opcode = b1 & 0x0F
            if opcode == 8:
                sys.exit("devtools closed the websocket")
            if opcode in (9, 10):
                continue
            message += payload
            if b1 & 0x80:
                return json.loads(message)

    counter = [0]

    class CallError(Exception):
        pass

    # Network events seen while waiting for answers (after Network.enable): request id ->
    # "METHOD URL", and the loads that failed below HTTP with Chromium's reason.
    requests = {}
    failed_loads = []

    def call(method, **params):
        counter[0] += 1
        send({"id": counter[0], "method": method, "params": params})
        while True:
            msg = recv()
            event = msg.get("method")
            if event == "Network.requestWillBeSent":
                request = msg["params"]["request"]
                requests[msg["params"]["requestId"]] = "%s %s" % (request["method"], request["url"])
            elif event == "Network.loadingFailed":
                failure = msg["params"]
                failed_loads.append("%s: %s" % (requests.get(failure["requestId"], failure["requestId"]), failure.get("errorText")))
            if msg.get("id") == counter[0]:
                if "error" in msg:
                    raise CallError("%s: %s" % (method, msg["error"]))
                return msg["result"]

    def evaluate(expr):
        result = call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in result:
            raise CallError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    def wait_for(pathname, *others):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if evaluate("document.readyState + ' ' + location.pathname") in ["complete " + p for p in (pathname,) + others]:
                    return
            except CallError:
                pass
            time.sleep(0.1)
        try:
            where = evaluate("location.href + ' ' + document.readyState + ': ' + document.documentElement.outerHTML.slice(0, 1500)")
        except CallError as error:
            where = str(error)
        sys.exit("page %s did not load; at %s" % (pathname, where))

    # Measured in the page: the document must not be wider than the viewport (tables scroll
    # in their own box), and chart labels (12 units in the drawing) must stay readable.
    MEASURE = """(() => {
      const d = document.documentElement;
      const limit = d.clientWidth;
      const overflowing = [];
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.width && r.right > limit + 1 && !el.closest('.scroll')) {
          overflowing.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal === undefined ? '.' + el.className : '') + ' ' + Math.round(r.right));
          if (overflowing.length >= 8) break;
        }
      }
      let font = null;
      for (const svg of document.querySelectorAll('.chart svg')) {
        const r = svg.getBoundingClientRect();
        if (!r.width || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) continue;
        const px = 12 * r.width / svg.viewBox.baseVal.width;
        font = font === null ? px : Math.min(font, px);
      }
      return JSON.stringify({scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, overflowing: overflowing, chartFontPx: font});
    })()"""

    def set_width(width):
        call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=width <= 640)

    def snapshot(name):
        layout = {}
        for width in widths:
            set_width(width)
            # Two animation frames: the new width is laid out before measuring.
            call("Runtime.evaluate", expression="new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", awaitPromise=True)
            layout[str(width)] = json.loads(evaluate(MEASURE))
            shot = call("Page.captureScreenshot", format="png")
            with open(os.path.join(outdir, "%s@%d.png" % (name, width)), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        set_width(1280)
        with open(os.path.join(outdir, name + ".html"), "w") as f:
            f.write(evaluate("document.documentElement.outerHTML"))
        shot = call("Page.captureScreenshot", format="png")
        with open(os.path.join(outdir, name + ".png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        if widths:
            with open(os.path.join(outdir, name + ".layout.json"), "w") as f:
                json.dump(layout, f)

    def wait_for_new_document():
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if evaluate("window.__cdpOld === undefined && document.readyState === 'complete'"):
                    return
            except CallError:
                pass
            time.sleep(0.1)
        sys.exit("the form's answer did not load")

    # Chromium aborts every load in flight when a network interface comes or goes
    # (net::ERR_NETWORK_CHANGED), and on a test machine the Docker engine adds and removes
    # bridges and veths for other tests all the time. A step whose page, stylesheet or form
    # answer was aborted so is done again (so submit steps must be ones that change nothing:
    # refused forms, confirmation pages); each such redo is reported on stderr.
    NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"

    def load(path, *or_paths):
        result = call("Page.navigate", url=base + path)
        error = result.get("errorText")
        if error:
            failed_loads.append("GET %s: %s" % (path, error))
            if error != NETWORK_CHANGED:
                sys.exit("loading %s failed: %s" % (path, error))
            return False
        wait_for(path.split("?")[0].split("#")[0], *or_paths)
        return True

    def submit(form_id, values):
        evaluate("window.__cdpOld = true; const f = document.getElementById(%s); const v = %s;"
                 "for (const k in v) { f.elements[k].value = v[k]; } f.submit(); true" % (json.dumps(form_id), json.dumps(values)))
        wait_for_new_document()

    def until_the_network_holds(what, step):
        for _ in range(10):
            mark = len(failed_loads)
            step()
            aborted = [f for f in failed_loads[mark:] if NETWORK_CHANGED in f]
            try:
                error_page = evaluate("location.protocol") == "chrome-error:"
            except CallError:
                error_page = True
            if not aborted and not error_page:
                return
            if error_page and not aborted:
                sys.exit("%s: Chromium shows an error page; loads that failed: %s" % (what, failed_loads[mark:]))
            print("%s: done again, Chromium aborted %s" % (what, aborted), file=sys.stderr)
            time.sleep(0.3)
        sys.exit("%s: the network kept changing" % what)

    call("Page.enable")
    call("Network.enable")
    call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
    until_the_network_holds("login page", lambda: load("/login"))
    if widths:
        snapshot("login")

    def sign_in():
        evaluate("document.querySelector('input[name=username]').value = %s;"
                 "document.querySelector('input[name=password]').value = %s;"
                 "window.__cdpOld = true; document.querySelector('form[action=\"/login\"]').submit(); true" % (json.dumps(user), json.dumps(password)))
        wait_for_new_document()

    def sign_in_step():
        if evaluate("location.pathname") == "/login":
            sign_in()
        # A sign-in whose answer was aborted may have signed in all the same: /login then
        # sends the browser home.
        elif load("/login", "/") and evaluate("location.pathname") == "/login":
            sign_in()

    until_the_network_holds("sign-in", sign_in_step)
    wait_for("/")
    for step in steps:
        kind, rest = ("page", step)
        for prefix in ("submit", "burst"):
            if step.startswith(prefix + ":"):
                kind, rest = prefix, step[len(prefix) + 1:]
        name, spec = rest.split("=", 1)
        if kind == "page":
            until_the_network_holds(name, lambda: load(spec))
            snapshot(name)
        elif kind == "submit":
            path, form_id, fields = spec.split("|", 2)
            values = dict(urllib.parse.parse_qsl(fields, keep_blank_values=True))
            until_the_network_holds(name, lambda: load(path) and submit(form_id, values))
            snapshot(name)
        elif kind == "burst":
            account, count = spec.split("|")
            script = """(async () => {
              const csrf = document.querySelector('input[name=csrf]').value;
              const start = performance.now();
              // A POST that fails below HTTP (no answer at all: Chromium aborts requests in
              // flight when an interface comes or goes, see NETWORK_CHANGED) is sent again
              // after a pause, up to nine times: the limit is the server's business, the
              // network is not. A post the server counted but whose answer was lost still
              // shows up as a wrong count, so resending cannot hide a limiter that lets too
              // many through.
              let resent = 0;
              const once = (i) => fetch('/login', {
                method: 'POST', redirect: 'manual', credentials: 'same-origin',
                body: new URLSearchParams({csrf: csrf, username: %s, password: 'wrong-password-' + i})});
              const post = async (i) => {
                for (let attempt = 1; ; attempt++) {
                  try { return await once(i); } catch (error) {
                    if (attempt >= 10) throw error;
                    resent++;
                    await new Promise(r => setTimeout(r, 250 * Math.min(attempt, 4)));
                  }
                }
              };
              const answers = await Promise.all(Array.from({length: %d}, (_, i) => post(i)));
              const statuses = {};
              for (const a of answers) statuses[a.status] = (statuses[a.status] || 0) + 1;
              return JSON.stringify({statuses: statuses, resent: resent, ms: Math.round(performance.now() - start)});
            })()""" % (json.dumps(account), int(count))
            mark = len(failed_loads)
            result = call("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True)
            failed = failed_loads[mark:]
            if failed:
                print("burst: %d posts failed below HTTP and were sent again: %s" % (len(failed), sorted(set(f.split(": ", 1)[1] for f in failed))), file=sys.stderr)
            if "exceptionDetails" in result:
                sys.exit("burst failed: %s; loads that failed: %s" % (result["exceptionDetails"], failed))
            with open(os.path.join(outdir, name + ".json"), "w") as f:
                f.write(result["result"]["value"])
finally:
    if sock:
        sock.close()
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(profile, ignore_errors=True)
