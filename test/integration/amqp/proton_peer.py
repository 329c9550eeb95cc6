"""A Helsenorge-like peer that is not Timebok's code: Qpid Proton (Debian python3-qpid-proton).

Sends one protected request (the bytes of --body, as one data section) with the protocol's AMQP 1.0
properties to `/exchange/<exchange>/<queue>` (NHN's RabbitMQ dialect), waits for the answer on
`/amq/queue/<reply-queue>` and writes what it received to --out as JSON (body base64). Used by
proton-peer.test.ts; exits 2 on a time-out, 1 on any other failure.
"""
import argparse
import base64
import json
import sys
import uuid

from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import Container


class Peer(MessagingHandler):
    def __init__(self, args):
        super().__init__(auto_accept=False)
        self.args = args
        self.sent = False
        self.result = None
        self.message_id = str(uuid.uuid4())
        self.correlation_id = str(uuid.uuid4())

    def on_start(self, event):
        a = self.args
        self.timer = event.container.schedule(a.timeout, self)
        self.conn = event.container.connect(a.url, allowed_mechs="PLAIN")
        event.container.create_receiver(self.conn, "/amq/queue/%s" % a.reply_queue)
        event.container.create_sender(self.conn, "/exchange/%s/%s" % (a.exchange, a.queue))

    def on_timer_task(self, event):
        self.result = {"error": "timeout"}
        self.conn.close()

    def on_sendable(self, event):
        if self.sent:
            return
        a = self.args
        with open(a.body, "rb") as f:
            body = f.read()
        m = Message(
            id=self.message_id,
            address=a.queue,
            subject=a.subject,
            reply_to=a.reply_queue,
            correlation_id=self.correlation_id,
            content_type="application/pkcs7-mime; smime-type=signed-and-enveloped-data",
            durable=True,
            body=body,
            inferred=True,  # bytes as a data section, not an amqp-value
            properties={
                # one HER-id as an integer (a long), one as a string: both occur in practice
                "fromHerId": int(a.from_her_id),
                "toHerId": str(a.to_her_id),
                "applicationTimeStamp": a.timestamp,
            },
        )
        event.sender.send(m)
        self.sent = True

    def on_message(self, event):
        m = event.message
        body = m.body
        if isinstance(body, memoryview):
            body = body.tobytes()
        self.result = {
            "sentMessageId": self.message_id,
            "sentCorrelationId": self.correlation_id,
            "id": str(m.id) if m.id is not None else None,
            "correlation_id": str(m.correlation_id) if m.correlation_id is not None else None,
            "subject": m.subject,
            "to": m.address,
            "reply_to": m.reply_to,
            "content_type": str(m.content_type) if m.content_type else None,
            "ttl": m.ttl,
            "durable": m.durable,
            "properties": {k: (v if isinstance(v, (int, str)) else str(v)) for k, v in (m.properties or {}).items()},
            "body": base64.b64encode(bytes(body)).decode("ascii") if body is not None else None,
        }
        self.accept(event.delivery)
        self.timer.cancel()
        event.connection.close()


def main():
    p = argparse.ArgumentParser()
    for name in ("url", "exchange", "queue", "reply-queue", "subject", "body", "out", "from-her-id", "to-her-id", "timestamp"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--timeout", type=float, default=30.0)
    args = p.parse_args()
    peer = Peer(args)
    Container(peer).run()
    with open(args.out, "w") as f:
        json.dump(peer.result, f)
    if peer.result is None or "error" in peer.result:
        sys.exit(2)


if __name__ == "__main__":
    main()
