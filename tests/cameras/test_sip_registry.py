"""The SIP endpoint on the camera register (what ``pingan cameras sip`` serves): a camera registered with its
own SIP password registers over loopback, its keepalives reach the devices spine, a stranger is refused."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pingan.cameras import service
from pingan.cameras.module import CAMERA
from pingan.cameras.sip import SessionDirectory, SipConfig, SipServer
from pingan.devices import interface as devices
from tests.cameras.conftest import MakeCamera, new_id
from tests.cameras.sip.conftest import wait_for
from tests.cameras.sip.device import SERVER_ID, Device


@pytest.fixture
def server(session_factory: sessionmaker[Session]) -> Iterator[SipServer]:
    @contextmanager
    def transaction() -> Iterator[Session]:
        with session_factory() as session:
            yield session
            session.commit()

    directory = SessionDirectory(
        transaction=transaction,
        password_of=service.sip_password,
        record_heard=service.record_heard,
        apply_catalog=service.apply_catalog,
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="sip-registry-loop", daemon=True)
    thread.start()
    sip = SipServer(directory, SipConfig(server_id=SERVER_ID, flush_ms=50, query_catalog=False))
    asyncio.run_coroutine_threadsafe(sip.start("127.0.0.1", udp_port=0, tcp_port=0), loop).result(5)
    try:
        yield sip
    finally:
        asyncio.run_coroutine_threadsafe(sip.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_a_registered_camera_is_heard_through_the_devices_spine(
    session: Session, make_camera: MakeCamera, server: SipServer
) -> None:
    camera = make_camera(sip_password="ipc-pass-0042")
    session.commit()
    device = Device(camera.gb_id, "ipc-pass-0042", server.udp_port, "UDP")
    try:
        assert device.register().status == 200
        assert device.keepalive().status == 200

        def heard() -> bool:
            session.expire_all()
            state = devices.device_states(session, CAMERA, [camera.gb_id]).get(camera.gb_id)
            return state is not None and state.last_seen_at is not None and state.status == "online"

        wait_for(heard)
    finally:
        device.close()


def test_wrong_password_and_unknown_camera_are_refused(
    session: Session, make_camera: MakeCamera, server: SipServer
) -> None:
    camera = make_camera(sip_password="ipc-pass-0042")
    session.commit()
    wrong = Device(camera.gb_id, "not-the-password", server.udp_port, "UDP")
    stranger = Device(new_id(), "ipc-pass-0042", server.udp_port, "UDP")
    try:
        assert wrong.register().status == 403
        assert stranger.register().status == 403
        assert server.refused["bad_digest"] == 1 and server.refused["unknown_device"] == 1
        assert stranger.keepalive().status == 403
    finally:
        wrong.close()
        stranger.close()
