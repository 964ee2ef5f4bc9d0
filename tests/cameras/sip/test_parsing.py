"""The SIP parser, digest and MANSCDP on their own; and a property: no input makes the server raise."""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingan.cameras.sip import MemoryDirectory, SipServer, digest, manscdp
from pingan.cameras.sip.message import SipError, parse_datagram, response
from pingan.cameras.sip.server import _Binding
from tests.cameras.sip.device import CAMERA, Device, catalog_xml, digest_header, keepalive_xml

KEEPALIVE = Device.__new__(Device)  # a device without a socket, only to build bytes
KEEPALIVE.device_id, KEEPALIVE.transport, KEEPALIVE.local_port, KEEPALIVE.tag = CAMERA, "UDP", 5060, "abc"
KEEPALIVE.bind_host = "127.0.0.1"


def keepalive_bytes(sn: int = 1) -> bytes:
    KEEPALIVE.cseq = iter([sn])  # type: ignore[assignment]
    return KEEPALIVE.request("MESSAGE", call_id="c1@127.0.0.1", body=keepalive_xml(CAMERA, sn))


class TestParse:
    def test_a_keepalive(self) -> None:
        request = parse_datagram(keepalive_bytes(7))
        assert request.method == "MESSAGE" and request.from_user() == CAMERA
        assert request.get("cseq") == "7 MESSAGE" and request.body.endswith(b"</Notify>\r\n")

    def test_compact_and_folded_headers(self) -> None:
        raw = (
            b"MESSAGE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1\r\n"
            b"f: <sip:33010800001320000001@3402000000>\r\n ;tag=1\r\nt: <sip:b@c>\r\ni: x\r\n"
            b"CSeq: 1 MESSAGE\r\nl: 0\r\n\r\n"
        )
        request = parse_datagram(raw)
        assert request.get("from") == "<sip:33010800001320000001@3402000000> ;tag=1"
        assert request.get("content-length") == "0" and request.get("call-id") == "x"

    def test_body_trimmed_to_content_length(self) -> None:
        request = parse_datagram(keepalive_bytes() + b"trailing junk")
        assert request.body.endswith(b"</Notify>\r\n")

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (b"no blank line", "malformed"),
            (b"HELLO\r\n\r\n", "malformed"),
            (b"MESSAGE sip:a@b SIP/2.0\r\nbad header\r\n\r\n", "malformed"),
            (b"MESSAGE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n", "bad_encoding"),
            (b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n", "malformed"),
        ],
    )
    def test_refusals(self, raw: bytes, reason: str) -> None:
        with pytest.raises(SipError) as caught:
            parse_datagram(raw)
        assert caught.value.reason == reason

    def test_response_to_a_request_without_rport(self) -> None:
        request = parse_datagram(keepalive_bytes().replace(b";rport", b""))
        out = response(request, 200, "OK", source=("10.0.0.9", 40000)).decode()
        assert "received=" not in out and out.startswith("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP")

    def test_rport_filled_in_the_first_of_several_vias(self) -> None:
        raw = keepalive_bytes().replace(
            b";rport;branch=", b";rport;branch=z9hG4bKa, SIP/2.0/UDP 10.1.1.1:5060;rport;branch=", 1
        )
        out = response(parse_datagram(raw), 200, "OK", source=("10.0.0.9", 40000)).decode()
        via = out.split("\r\n")[1]
        first, second = via.split(",")
        assert first.endswith(";received=10.0.0.9") and ";rport=40000;" in first
        assert second.startswith(" SIP/2.0/UDP 10.1.1.1:5060;rport;branch=")


class TestDigest:
    def test_the_devices_digest_verifies(self) -> None:
        nonces = digest.Nonces()
        challenge = digest.challenge("3402000000", nonces.issue(), qop=True)
        header = digest_header(challenge, user=CAMERA, password="pw", uri="sip:x@y")
        params = digest.parse_authorization(header.removeprefix("Authorization: "))
        assert params is not None and nonces.check(params["nonce"]) == "ok"
        assert digest.verify(params, method="REGISTER", password="pw", realm="3402000000")
        assert not digest.verify(params, method="REGISTER", password="px", realm="3402000000")
        assert not digest.verify(
            {**params, "algorithm": "SHA-256"}, method="REGISTER", password="pw", realm="3402000000"
        )

    def test_nonces(self) -> None:
        nonces = digest.Nonces(ttl=60)
        assert nonces.check(nonces.issue(now=time.time() - 61)) == "stale"
        assert nonces.check(digest.Nonces().issue()) == "bad"
        assert nonces.check("") == "bad" and nonces.check("zz" * 20) == "bad"

    @pytest.mark.parametrize("value", ["Basic abc", "Digest", 'Digest username="a', "Digest a=b c=d"])
    def test_not_digest_credentials(self, value: str) -> None:
        assert digest.parse_authorization(value) is None


class TestManscdp:
    def test_catalog_fields(self) -> None:
        body = catalog_xml(CAMERA, 3, 1, [{"DeviceID": CAMERA, "Name": "一号", "Longitude": "x"}])
        message = manscdp.read(body)
        assert message.sum_num == 1 and message.items[0]["Name"] == "一号"
        assert message.items[0]["Longitude"] is None and message.items[0]["Model"] is None

    def test_no_declaration_is_utf8(self) -> None:
        message = manscdp.read(
            "<Notify><CmdType>Keepalive</CmdType><DeviceID>摄像</DeviceID></Notify>".encode()
        )
        assert message.cmd == "Keepalive" and message.device_id == "摄像"

    def test_comments_and_cdata_are_read(self) -> None:
        body = b"<Notify><!-- hi --><CmdType><![CDATA[Keepalive]]></CmdType></Notify>"
        assert manscdp.read(body).cmd == "Keepalive"

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b"<!DOCTYPE Notify><Notify><CmdType>Keepalive</CmdType></Notify>", "bad_xml"),
            (b'<?xml version="1.0" encoding="ISO-8859-1"?><Notify/>', "bad_encoding"),
            (b"<Notify><CmdType>Keepalive</CmdType>", "bad_xml"),
            (b"<Notify><SN>1</SN></Notify>", "bad_xml"),
            (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Notify>&e;</Notify>', "bad_xml"),
            (b"<Response><CmdType>Catalog</CmdType><SumNum>x</SumNum></Response>", "bad_xml"),
        ],
    )
    def test_refusals(self, body: bytes, reason: str) -> None:
        with pytest.raises(SipError) as caught:
            manscdp.read(body)
        assert caught.value.reason == reason


def _mutations() -> st.SearchStrategy[bytes]:
    good = keepalive_bytes()

    def mutate(data: tuple[int, int, bytes]) -> bytes:
        start, length, insert = data
        start %= len(good)
        return good[:start] + insert + good[start + length :]

    return st.one_of(
        st.binary(max_size=2048),
        st.tuples(st.integers(0, 10_000), st.integers(0, 64), st.binary(max_size=32)).map(mutate),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(), min_size=1, max_size=5))
def test_no_input_makes_the_server_raise(datagrams: list[bytes]) -> None:
    async def feed() -> tuple[int, int, int]:
        server = SipServer(MemoryDirectory())
        server.registrations[CAMERA] = _Binding(time.monotonic() + 60, "127.0.0.1")
        answers: list[bytes] = []
        for data in datagrams:
            server.receive_datagram(data, ("127.0.0.1", 5060), answers.append)
        for data in answers:
            assert data.startswith(b"SIP/2.0 ")
        assert server.refused["internal"] == 0  # every refusal has its own reason
        handled = sum(server.handled.values())
        return handled, sum(server.refused.values()), len(answers)

    handled, refused, answered = asyncio.run(feed())
    assert handled + refused >= 1 or all(not d.strip(b"\r\n") for d in datagrams)
    assert answered <= len(datagrams)
