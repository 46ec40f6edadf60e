"""Contract tests for the channel adapters we cannot reach from here: each is driven against a local HTTP
server that checks what the real gateway checks (payload shape, signature) and answers like it does."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from xiaoneng.core import notify


class Gateway:
    """A stand-in robot endpoint on 127.0.0.1: records requests and answers {"errcode": …}."""

    def __init__(self, errcode=0):
        self.requests = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                gateway.requests.append(
                    {
                        "path": self.path,
                        "json": json.loads(self.rfile.read(length)),
                        "ctype": self.headers["Content-Type"],
                    }
                )
                body = json.dumps(
                    {"errcode": errcode, "errmsg": "ok" if errcode == 0 else "invalid"}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


def test_dingtalk_robot_payload_and_signature(gateway):
    secret = "SECdemo"
    notify.DingTalkRobotChannel(url=gateway.url, secret=secret).send(
        to="liaison", title="催办", body="请于今日签收"
    )
    req = gateway.requests[0]
    assert req["ctype"] == "application/json"
    assert req["json"] == {
        "msgtype": "text",
        "text": {"content": "催办\n请于今日签收"},
        "at": {"atUserIds": ["liaison"]},
    }
    q = parse_qs(urlparse(req["path"]).query)
    ts = q["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert q["sign"][0] == expected and q["access_token"] == ["abc"]


def test_wecom_robot_payload(gateway):
    notify.WeComRobotChannel(url=gateway.url).send(to="liaison", title="预警", body="事项明日到期")
    assert gateway.requests[0]["json"] == {
        "msgtype": "text",
        "text": {"content": "预警\n事项明日到期", "mentioned_list": ["liaison"]},
    }


def test_a_refusal_from_the_gateway_raises_so_the_worker_retries():
    g = Gateway(errcode=310000)
    try:
        with pytest.raises(notify.WebhookError, match="310000"):
            notify.WeComRobotChannel(url=g.url).send(to="x", title="t", body="b")
    finally:
        g.close()


def test_file_backend_writes_one_json_line_per_message(tmp_path):
    ch = notify.FileChannel(path=str(tmp_path / "sms.jsonl"))
    ch.send(to="13800000000", title="催办", body="请签收")
    ch.send(to="13900000000", title="预警", body="明日到期")
    lines = [json.loads(x) for x in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert [(x["to"], x["title"]) for x in lines] == [("13800000000", "催办"), ("13900000000", "预警")]


def test_channels_come_from_settings(settings, tmp_path):
    settings.NOTIFY_CHANNELS = {**settings.NOTIFY_CHANNELS, "sms": "xiaoneng.core.notify.FileChannel"}
    settings.VAR_DIR = tmp_path
    ch = notify.channel("sms")
    assert isinstance(ch, notify.FileChannel) and ch.path == tmp_path / "outbox" / "sms.jsonl"
