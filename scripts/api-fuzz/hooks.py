"""Schemathesis hooks of scripts/check-api-fuzz.sh: who the generated requests authenticate as.

Two accounts, both registered by check-api-fuzz.sh before the run (names and passwords come in
CHATALOT_FUZZ_* environment variables):

- the main account authenticates every operation except the three that end sessions. Fuzzing
  cannot end its session: logout and logout-all go to the other account, and DELETE
  /sessions/{id} only ends sessions of the caller, which the main account never learns the ids
  of. Should its token still stop working (401), it is renewed with the refresh token, else by
  logging in again.
- the session account authenticates POST /auth/logout, POST /auth/logout-all and DELETE
  /sessions/{session_id}, which end its sessions on purpose; after each 401 a new session is
  made by logging in (the login rate limit per client address bounds how often, so those
  operations get few examples, see schemathesis.toml).
"""
import os
import threading
import time

import requests
import schemathesis
import urllib3.connection

BASE = os.environ["CHATALOT_FUZZ_BASE"].rstrip("/")
SOURCE_IP = os.environ.get("CHATALOT_FUZZ_SOURCE_IP")

if SOURCE_IP:
    # Every connection of this run, schemathesis's and ours, comes from this loopback address:
    # the per-address rate limits (registrations, logins) then count this run alone, and the
    # run cannot use up the allowance of other clients on 127.0.0.1.
    _connection_init = urllib3.connection.HTTPConnection.__init__

    def _from_source_ip(self, *args, **kwargs):
        kwargs.setdefault("source_address", (SOURCE_IP, 0))
        _connection_init(self, *args, **kwargs)

    urllib3.connection.HTTPConnection.__init__ = _from_source_ip
SESSION_ENDING = r"/auth/logout(-all)?$|/sessions/\{session_id\}$"
UNAUTHENTICATED = r"/auth/(register|login|refresh)$"


def _login(username, password):
    for _ in range(3):
        response = requests.post(
            f"{BASE}/api/v1/auth/login",
            json={"username": username, "password": password},
            timeout=30,
        )
        # Fuzzing the login operation may have used up this address's login allowance.
        if response.status_code != 429:
            break
        time.sleep(min(int(response.headers.get("retry-after", "5")), 60) + 1)
    response.raise_for_status()
    return response.json()


class _Account:
    """An account's current tokens, renewed on demand (one renewal at a time)."""

    def __init__(self, prefix):
        self.username = os.environ[f"CHATALOT_FUZZ_{prefix}_USER"]
        self.password = os.environ[f"CHATALOT_FUZZ_{prefix}_PASSWORD"]
        self.access = os.environ.get(f"CHATALOT_FUZZ_{prefix}_ACCESS")
        self.refresh = os.environ.get(f"CHATALOT_FUZZ_{prefix}_REFRESH")
        self.lock = threading.Lock()
        self.renewals = 0

    def token(self, fresh):
        with self.lock:
            if fresh or not self.access:
                self._renew()
            return self.access

    def _renew(self):
        self.renewals += 1
        if self.refresh:
            response = requests.post(
                f"{BASE}/api/v1/auth/refresh", json={"refresh_token": self.refresh}, timeout=30
            )
            if response.status_code == 200:
                self._keep(response.json())
                return
        self._keep(_login(self.username, self.password))

    def _keep(self, tokens):
        self.access = tokens["access_token"]
        self.refresh = tokens["refresh_token"]


MAIN = _Account("MAIN")
SESSIONS = _Account("SESSIONS")


class _Bearer:
    account = MAIN

    def __init__(self):
        # The first token is the one check-api-fuzz.sh got; schemathesis asks again only after
        # a 401 (see the refresh interval below), so later calls need a new one.
        self.calls = 0

    def get(self, case, ctx):
        self.calls += 1
        return self.account.token(fresh=self.calls > 1)

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# A long refresh interval: the cached token is replaced only after a 401 (schemathesis's
# retry_on default), never on a timer.
@schemathesis.auth(refresh_interval=86400).skip_for(path_regex=SESSION_ENDING).skip_for(
    path_regex=UNAUTHENTICATED
)
class MainAuth(_Bearer):
    account = MAIN


@schemathesis.auth(refresh_interval=86400).apply_to(path_regex=SESSION_ENDING)
class SessionAuth(_Bearer):
    account = SESSIONS
