"""Drives Python 3's imaplib through one session that exercises every pairing rule.

Usage: imaplib-rawlog-session.py HOST PORT USER PASSWORD

LOGIN, SELECT, APPEND with a synchronizing literal (imaplib waits for the server's +),
FETCH of the message (a literal from the server), IDLE until the server's +, then DONE,
and LOGOUT. imaplib before Python 3.14 has no idle(), so IDLE goes through its low-level
send/readline with a tag of its own making, as imaplib's own commands do.
"""

import imaplib
import sys

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
m.login(user, password)
m.select("INBOX")
m.append("INBOX", None, None, b"Subject: rawlog\r\n\r\nA body line.\r\n")
m.fetch("1:*", "(FLAGS BODY.PEEK[])")
tag = m._new_tag()
m.send(tag + b" IDLE\r\n")
assert m.readline().startswith(b"+"), "IDLE: expected a continuation"
m.send(b"DONE\r\n")
while not m.readline().startswith(tag):
    pass
m.logout()
