"""The SIP endpoint over real loopback sockets, UDP and TCP, with the bytes devices send."""

from __future__ import annotations

import time

import pytest

from pingan.cameras.sip import SipConfig, SipServer
from tests.cameras.sip.conftest import Running, wait_for
from tests.cameras.sip.device import CAMERA, NVR, SERVER_ID, STRANGER, Device, catalog_xml, keepalive_xml


class TestRegister:
    @pytest.mark.parametrize("transport", ["UDP", "TCP"])
    def test_challenge_then_digest_registers(self, sip: Running, transport: str) -> None:
        device = sip.device(transport=transport)
        first = device.ask(device.request("REGISTER", extra="Expires: 3600"))
        assert first.status == 401
        challenge = first.one("WWW-Authenticate")
        assert challenge.startswith('Digest realm="3402000000", nonce="') and "algorithm=MD5" in challenge
        ok = device.register()
        assert ok.status == 200
        assert ok.one("Expires") == "3600"
        assert len(ok.one("Date")) == len("2026-12-03T17:50:00.123")
        assert sip.server.registrations.keys() == {CAMERA}
        wait_for(lambda: CAMERA in sip.directory.last_heard)

    def test_response_echoes_the_transaction(self, sip: Running) -> None:
        device = sip.device()
        sent = device.request("REGISTER", extra="Expires: 3600")
        reply = device.ask(sent)
        lines = dict(line.split(": ", 1) for line in sent.decode().split("\r\n")[1:] if ": " in line)
        via = reply.one("Via")
        assert via.startswith(lines["Via"].split(";rport")[0])
        assert f";rport={device.local_port}" in via and ";received=127.0.0.1" in via
        assert reply.one("From") == lines["From"]
        assert reply.one("To").startswith(lines["To"] + ";tag=")
        assert reply.one("Call-ID") == lines["Call-ID"] and reply.one("CSeq") == lines["CSeq"]
        assert device.ask(sent).one("To") == reply.one("To")  # a retransmission gets the same tag

    def test_qop_auth(self, sip: Running) -> None:
        sip.server.config.qop = True
        assert sip.device().register().status == 200

    def test_wrong_password_is_forbidden_and_counted(self, sip: Running) -> None:
        assert sip.device().register(password="wrong").status == 403
        assert sip.server.refused["bad_digest"] == 1
        assert not sip.server.registrations

    def test_unknown_device_is_challenged_then_forbidden(self, sip: Running) -> None:
        assert sip.device(STRANGER).register().status == 403
        assert sip.server.refused["unknown_device"] == 1

    def test_username_must_be_the_from_device(self, sip: Running) -> None:
        device = sip.device()
        first = device.ask(device.request("REGISTER"))
        nonce = first.one("WWW-Authenticate").split('nonce="')[1].split('"')[0]
        auth = f'Digest username="{NVR}", realm="3402000000", nonce="{nonce}", uri="x", response="00"'
        assert device.ask(device.request("REGISTER", extra=f"Authorization: {auth}")).status == 403
        assert sip.server.refused["bad_digest"] == 1

    def test_forged_or_expired_nonce_is_challenged_again(self, sip: Running) -> None:
        device = sip.device()
        forged = 'Digest username="%s", realm="3402000000", nonce="%s", uri="x", response="00"'
        reply = device.ask(device.request("REGISTER", extra="Authorization: " + forged % (CAMERA, "ab" * 20)))
        assert reply.status == 401 and sip.server.refused["bad_nonce"] == 1
        old = sip.server.nonces.issue(now=time.time() - 3600)
        reply = device.ask(device.request("REGISTER", extra="Authorization: " + forged % (CAMERA, old)))
        assert reply.status == 401 and "stale=TRUE" in reply.one("WWW-Authenticate")
        assert sip.server.refused["stale_nonce"] == 1

    def test_expires_zero_unregisters(self, sip: Running) -> None:
        device = sip.device()
        assert device.register().status == 200
        assert device.register(expires=0).status == 200
        assert not sip.server.registrations
        assert device.keepalive().status == 403

    def test_bad_device_id_is_refused(self, sip: Running) -> None:
        device = sip.device("3301080000132000000X")
        assert device.ask(device.request("REGISTER")).status == 400
        assert sip.server.refused["bad_device_id"] == 1

    @pytest.mark.parametrize("transport", ["UDP", "TCP"])
    def test_a_new_registration_is_asked_for_its_catalog(self, sip: Running, transport: str) -> None:
        device = sip.device(NVR, "nvr-密码-1", transport=transport)
        assert device.register().status == 200
        assert device.keepalive().status == 200  # the query arrived in between and was answered
        (query,) = device.inbox
        assert query.startswith(f"MESSAGE sip:{NVR}@3402000000 SIP/2.0\r\n".encode())
        assert f"Via: SIP/2.0/{transport} 127.0.0.1:".encode() in query
        assert b"<CmdType>Catalog</CmdType>" in query and f"<DeviceID>{NVR}</DeviceID>".encode() in query
        assert device.register().status == 200 and device.keepalive().status == 200
        assert len(device.inbox) == 1  # a refresh is not asked again
        assert sip.server.handled["response"] == 1

    def test_messages_only_from_the_registered_host(self, sip: Running) -> None:
        assert sip.device().register().status == 200
        elsewhere = Device(CAMERA, "12345678", sip.server.udp_port, bind_host="127.0.0.2")
        assert elsewhere.keepalive().status == 403
        assert sip.server.refused["wrong_host"] == 1


class TestKeepalive:
    @pytest.mark.parametrize("transport", ["UDP", "TCP"])
    def test_keepalive_is_answered_and_heard_in_batches(self, sip: Running, transport: str) -> None:
        device = sip.device(transport=transport)
        assert device.register().status == 200
        sip.flush()
        before = len(sip.directory.heard_batches)
        for sn in range(1, 21):
            assert device.keepalive(sn).status == 200
        sip.flush()
        batches = sip.directory.heard_batches[before:]
        assert 1 <= len(batches) < 20  # batched, not one call a message
        assert all(ids == (CAMERA,) for ids, _ in batches)
        assert sip.server.handled["keepalive"] == 20

    def test_utf8_keepalive(self, sip: Running) -> None:
        device = sip.device()
        device.register()
        assert device.keepalive(encoding="UTF-8").status == 200

    def test_unregistered_device_is_refused(self, sip: Running) -> None:
        device = sip.device()
        assert device.keepalive().status == 403
        assert sip.server.refused["not_registered"] == 1
        sip.flush()
        assert CAMERA not in sip.directory.last_heard

    def test_expired_registration_is_refused(self, sip: Running) -> None:
        device = sip.device()
        device.register(expires=1)
        assert device.keepalive().status == 200
        time.sleep(1.1)
        assert device.keepalive().status == 403
        assert sip.server.refused["not_registered"] == 1

    def test_device_that_stops_is_heard_no_more(self, sip: Running) -> None:
        camera, nvr = sip.device(), sip.device(NVR, "nvr-密码-1")
        camera.register(), nvr.register()
        camera.keepalive(), nvr.keepalive()
        sip.flush()
        stopped_at = sip.directory.last_heard[CAMERA]
        for sn in range(2, 6):  # the camera went quiet; the NVR keeps going
            nvr.keepalive(sn)
            time.sleep(0.06)
        sip.flush()
        assert sip.directory.last_heard[CAMERA] == stopped_at
        assert sip.directory.last_heard[NVR] > stopped_at
        assert all(CAMERA not in ids for ids, at in sip.directory.heard_batches if at > stopped_at)

    def test_heard_time_is_not_later_than_the_message(self, sip: Running) -> None:
        from pingan.core.clock import utcnow

        device = sip.device()
        device.register()
        sip.flush()
        sent = utcnow()
        device.keepalive()
        time.sleep(0.2)  # flushed by the background task
        answered = utcnow()
        wait_for(lambda: sip.directory.last_heard[CAMERA] >= sent)
        assert sent <= sip.directory.last_heard[CAMERA] <= answered


class TestCatalog:
    ITEMS = [
        {
            "DeviceID": f"3301080000131000000{n}",
            "Name": name,
            "Manufacturer": "海康威视",
            "Model": "DS-2CD3T46",
            "Owner": "Owner",
            "CivilCode": "330108",
            "Address": "滨江区江南大道",
            "Parental": "0",
            "ParentID": NVR,
            "SafetyWay": "0",
            "RegisterWay": "1",
            "Secrecy": "0",
            "Status": "ON" if n != 3 else "OFF",
            "Longitude": f"120.2{n}",
            "Latitude": "30.20",
        }
        for n, name in ((1, "江南大道与长河路口"), (2, "星光大道东门"), (3, "西兴街道 3 号"))
    ]

    def test_catalog_in_gb2312_over_two_messages(self, sip: Running) -> None:
        nvr = sip.device(NVR, "nvr-密码-1")
        assert nvr.register().status == 200
        area = {"DeviceID": "330108", "Name": "滨江区"}  # an administrative-division node: not a device
        first = catalog_xml(NVR, 7, 4, [area, *self.ITEMS[:2]])
        assert nvr.ask(nvr.request("MESSAGE", body=first)).status == 200
        assert NVR not in sip.directory.catalogs
        assert nvr.ask(nvr.request("MESSAGE", body=catalog_xml(NVR, 7, 4, self.ITEMS[2:]))).status == 200
        wait_for(lambda: NVR in sip.directory.catalogs)
        items = sip.directory.catalogs[NVR]
        assert [i["Name"] for i in items] == ["江南大道与长河路口", "星光大道东门", "西兴街道 3 号"]
        assert items[0] == {
            "DeviceID": "33010800001310000001",
            "Name": "江南大道与长河路口",
            "Manufacturer": "海康威视",
            "Model": "DS-2CD3T46",
            "ParentID": NVR,
            "Status": "ON",
            "Longitude": 120.21,
            "Latitude": 30.20,
        }
        assert items[2]["Status"] == "OFF"
        assert sip.server.handled["catalog"] == 1 and sip.server.handled["catalog_item_skipped"] == 1

    def test_retransmitted_page_counts_once(self, sip: Running) -> None:
        nvr = sip.device(NVR, "nvr-密码-1")
        nvr.register()
        page = nvr.request("MESSAGE", body=catalog_xml(NVR, 8, 2, self.ITEMS[:1]))
        assert nvr.ask(page).status == 200 and nvr.ask(page).status == 200
        assert NVR not in sip.directory.catalogs
        nvr.ask(nvr.request("MESSAGE", body=catalog_xml(NVR, 8, 2, self.ITEMS[1:2])))
        wait_for(lambda: len(sip.directory.catalogs.get(NVR, [])) == 2)

    def test_an_incomplete_catalog_is_delivered_after_the_timeout(self, sip: Running) -> None:
        nvr = sip.device(NVR, "nvr-密码-1")
        nvr.register()
        sip.server.config.catalog_timeout = 0.1
        assert nvr.ask(nvr.request("MESSAGE", body=catalog_xml(NVR, 9, 3, self.ITEMS[:1]))).status == 200
        time.sleep(0.15)
        sip.flush()
        wait_for(lambda: NVR in sip.directory.catalogs)
        assert [i["DeviceID"] for i in sip.directory.catalogs[NVR]] == ["33010800001310000001"]
        assert sip.server.handled["catalog_incomplete"] == 1


class TestRefusals:
    GARBAGE = [
        b"\x00\x01\x02garbage",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"MESSAGE sip:x SIP/2.0\r\nVia SIP/2.0/UDP broken\r\n\r\n",
        b"\xff\xfe\xfd\r\n\r\n",
        b"MESSAGE sip:a@b SIP/2.0\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
        b"REGISTER sip:a@b SIP/2.0\r\nContent-Length: 99\r\n\r\nshort",
        b"MESSAGE sip:a@b SIP/2.0\r\nX-Huge: " + b"A" * 60_000 + b"\r\n\r\n",  # near the UDP limit
    ]

    def test_garbage_is_counted_and_the_next_message_answered(self, sip: Running) -> None:
        device = sip.device()
        for junk in self.GARBAGE:
            device.send(junk)
        assert device.register().status == 200
        assert sum(sip.server.refused.values()) == len(self.GARBAGE)
        assert {"malformed", "too_large", "bad_encoding"} <= set(sip.server.refused)

    def test_xml_bomb_is_refused(self, sip: Running) -> None:
        device = sip.device()
        device.register()
        bomb = (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
            b"<Notify><CmdType>Keepalive</CmdType><SN>&lol2;</SN></Notify>"
        )
        assert device.ask(device.request("MESSAGE", body=bomb)).status == 400
        assert sip.server.refused["bad_xml"] == 1

    def test_wrong_encoding_is_refused(self, sip: Running) -> None:
        device = sip.device()
        device.register()
        latin = '<?xml version="1.0" encoding="UTF-8"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN>'
        body = latin.encode() + "<DeviceID>摄像机</DeviceID></Notify>".encode("gb2312")
        assert device.ask(device.request("MESSAGE", body=body)).status == 400
        assert sip.server.refused["bad_encoding"] == 1
        assert device.keepalive().status == 200

    def test_wrong_content_type_and_method(self, sip: Running) -> None:
        device = sip.device()
        device.register()
        body = keepalive_xml(CAMERA, 1)
        assert device.ask(device.request("MESSAGE", body=body, content_type="text/plain")).status == 415
        assert device.ask(device.request("INVITE")).status == 405
        assert sip.server.refused["unsupported_body"] == 1 and sip.server.refused["unsupported_method"] == 1

    def test_missing_headers_get_no_answer_but_are_counted(self, sip: Running) -> None:
        device = sip.device()
        raw = device.request("MESSAGE", body=keepalive_xml(CAMERA, 1)).replace(b"Call-ID:", b"X-Call:")
        device.send(raw)
        assert device.keepalive().status == 403  # the next message is answered (not registered)
        assert sip.server.refused["malformed"] == 1


class TestTcp:
    def test_two_messages_in_one_segment(self, sip: Running) -> None:
        device = sip.device(transport="TCP")
        assert device.register().status == 200
        both = device.request("MESSAGE", body=keepalive_xml(CAMERA, 1)) + device.request(
            "MESSAGE", body=keepalive_xml(CAMERA, 2)
        )
        device.send(both)
        assert device.receive().status == 200 and device.receive().status == 200
        assert sip.server.handled["keepalive"] == 2

    def test_one_message_split_over_two_segments(self, sip: Running) -> None:
        device = sip.device(transport="TCP")
        assert device.register().status == 200
        raw = device.request("MESSAGE", body=keepalive_xml(CAMERA, 1))
        for cut in (10, raw.index(b"\r\n\r\n") + 2, len(raw) - 5):
            device.send(raw[:cut])
            time.sleep(0.05)
            device.send(raw[cut:])
            assert device.receive().status == 200
        assert sip.server.handled["keepalive"] == 3

    def test_oversized_stream_closes_the_connection(self, sip: Running) -> None:
        device = sip.device(transport="TCP")
        device.send(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 9999999\r\n\r\n")
        with pytest.raises((ConnectionError, OSError)):
            device.receive()
        assert sip.server.refused["malformed"] + sip.server.refused["too_large"] == 1
        assert sip.device(transport="TCP").register().status == 200

    def test_idle_connection_is_closed(self, sip: Running) -> None:
        sip.server.config.tcp_idle_timeout = 0.2
        device = sip.device(transport="TCP")
        with pytest.raises(ConnectionError, match="closed"):
            device.receive()
        assert sip.server.handled["tcp_idle_closed"] == 1


class TestDirectoryFailures:
    def test_a_failing_directory_is_counted_and_retried(self, sip: Running) -> None:
        calls: list[int] = []
        original = sip.directory.heard

        def flaky(ids, at):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("database down")
            original(ids, at)

        sip.directory.heard = flaky  # type: ignore[method-assign]
        device = sip.device()
        device.register()
        sip.flush()
        assert sip.server.refused["directory_error"] == 1 and CAMERA not in sip.directory.last_heard
        sip.flush()
        assert CAMERA in sip.directory.last_heard


def test_counters_snapshot(sip: Running) -> None:
    device = sip.device()
    device.register()
    device.keepalive()
    device.send(b"junk")
    assert device.keepalive().status == 200
    counters = sip.server.counters()
    assert counters["handled.register"] == 1 and counters["handled.keepalive"] == 2
    assert counters["refused.malformed"] == 1 and counters["registered"] == 1


def test_realm_defaults_to_the_server_id_prefix() -> None:
    assert SipConfig(server_id=SERVER_ID).realm == "3402000000"
    assert SipServer.__init__ is not None


def test_device_constants_are_valid_ids() -> None:
    from pingan.cameras.sip.manscdp import is_device_id

    assert all(is_device_id(i) for i in (CAMERA, NVR, STRANGER, SERVER_ID))
    assert not is_device_id("３３０１０８００００１３２０００００01")  # full-width digits
    _ = Device
