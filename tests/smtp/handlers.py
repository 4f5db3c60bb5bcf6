"""The test mail server's handler (aiosmtpd): keeps every message in a
Maildir, and refuses for good (550) any recipient whose address starts with
"bounce", as a real server refuses a mailbox that does not exist.

Run as: python3 -m aiosmtpd -n -l HOST:PORT -c handlers.Maildir DIR
(with this folder on PYTHONPATH)."""

import mailbox
import os


class Maildir:
    def __init__(self, path):
        # Maildir(create=True) makes the subfolders only of a folder it makes.
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(path, sub), exist_ok=True)
        self.box = mailbox.Maildir(path, create=False)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("the Maildir handler takes the folder to write to")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.box.add(envelope.original_content)
        return "250 Message accepted for delivery"
