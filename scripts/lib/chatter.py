"""A normal client that keeps chatting: registers, creates a community and posts a message to its
channel every half second until stopped (SIGTERM), each request with a 5 s timeout. Prints one
JSON line at the end: {"ok": N, "failed": M, "failures": [...]}. Used by check-slow-clients.sh.

    python3 scripts/lib/chatter.py BASE_URL
"""
import json
import signal
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE = sys.argv[1].rstrip("/")
stopping = False


def stop(*_):
    global stopping
    stopping = True


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"null")


def main():
    signal.signal(signal.SIGTERM, stop)
    name = "chatter" + uuid.uuid4().hex[:12]
    session = call("POST", "/api/v1/auth/register",
                   {"username": name, "password": "a long enough passphrase"})
    token = session["access_token"]
    community = call("POST", "/api/v1/communities", {"name": name, "visibility": "public"}, token)
    view = call("GET", f"/api/v1/communities/{community['community_id']}/view", token=token)
    channel = next(c["channel"]["channel_id"] for c in view["channels"]
                   if c["channel"]["kind"] == "text")
    ok, failures = 0, []
    seq = 0
    while not stopping:
        seq += 1
        started = time.monotonic()
        try:
            call("POST", f"/api/v1/channels/{channel}/messages",
                 {"nonce": f"{name}-{seq}", "body": f"still here {seq}"}, token)
            ok += 1
        except (urllib.error.URLError, OSError, ValueError) as err:
            failures.append(f"{time.strftime('%H:%M:%S')} message {seq}: {err}")
        time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    print(json.dumps({"ok": ok, "failed": len(failures), "failures": failures[:10]}))


if __name__ == "__main__":
    main()
