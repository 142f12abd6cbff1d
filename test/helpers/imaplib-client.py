"""Drives Python 3's imaplib against HOST PORT and prints one JSON object on stdout.

Usage: imaplib-client.py HOST PORT USER PASSWORD MESSAGE_FILE...

It logs in, selects INBOX, appends each file, fetches each appended message back by UID
and logs out. Every byte imaplib sends and receives is counted and hashed (sha256) inside
the client itself, so a test can compare the client's view of the wire with the server's.
"""

import hashlib
import imaplib
import json
import re
import sys


class CapturingIMAP4(imaplib.IMAP4):
    """imaplib.IMAP4 whose socket traffic passes through send/read/readline: hash it there."""

    def __init__(self, host, port):
        self.sent = hashlib.sha256()
        self.sent_bytes = 0
        self.received = hashlib.sha256()
        self.received_bytes = 0
        super().__init__(host, port)

    def send(self, data):
        self.sent.update(data)
        self.sent_bytes += len(data)
        super().send(data)

    def read(self, size):
        data = super().read(size)
        self.received.update(data)
        self.received_bytes += len(data)
        return data

    def shutdown(self):
        # imaplib's logout() returns on the untagged BYE and never reads the tagged OK that
        # follows; drain the socket to EOF so the record holds all the client received.
        rest = self.file.read()
        self.received.update(rest)
        self.received_bytes += len(rest)
        super().shutdown()

    def readline(self):
        line = super().readline()
        self.received.update(line)
        self.received_bytes += len(line)
        return line


def main():
    host, port, user, password, *files = sys.argv[1:]
    client = CapturingIMAP4(host, int(port))
    result = {"greeting": client.welcome.decode("latin-1")}
    typ, _ = client.login(user, password)
    result["login"] = typ
    typ, data = client.select("INBOX")
    result["select"] = [typ, int(data[0])]
    appended = []
    for name in files:
        with open(name, "rb") as f:
            message = f.read()
        typ, data = client.append("INBOX", None, None, message)
        m = re.search(rb"\[APPENDUID \d+ (\d+)\]", data[0])
        if typ != "OK" or not m:
            raise SystemExit(f"APPEND failed: {typ} {data!r}")
        appended.append({"uid": int(m.group(1)), "bytes": len(message),
                         "sha256": hashlib.sha256(message).hexdigest()})
    fetched = []
    for entry in appended:
        typ, data = client.uid("FETCH", str(entry["uid"]), "(BODY.PEEK[])")
        body = data[0][1]
        fetched.append({"uid": entry["uid"], "bytes": len(body),
                        "sha256": hashlib.sha256(body).hexdigest(),
                        "head": body[:200].decode("latin-1")})
    result["appended"] = appended
    result["fetched"] = fetched
    typ, _ = client.logout()
    result["logout"] = typ
    result["sent"] = {"bytes": client.sent_bytes, "sha256": client.sent.hexdigest()}
    result["received"] = {"bytes": client.received_bytes, "sha256": client.received.hexdigest()}
    print(json.dumps(result))


main()
