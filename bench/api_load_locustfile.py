"""Locust users for bench/api_load.py: each asks one path, as fast as it is answered.

The bench runs Locust once per endpoint and passes the path and the token in the
environment (API_LOAD_PATH, API_LOAD_TOKEN). No wait between requests: 50 users form a
closed loop that keeps the server's two workers busy, so requests/s is its throughput.
"""

import os

from locust import FastHttpUser, constant, task

PATH = os.environ["API_LOAD_PATH"]
HEADERS = {
    # The proxy in front says the client used HTTPS (else production answers a redirect).
    "X-Forwarded-Proto": "https",
    "Accept": "application/json",
}
if os.environ.get("API_LOAD_TOKEN"):
    HEADERS["Authorization"] = f"Token {os.environ['API_LOAD_TOKEN']}"


class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read(self) -> None:
        # Locust counts any status >= 400 and any connection error as a failure.
        with self.client.get(PATH, headers=HEADERS, name="read", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
