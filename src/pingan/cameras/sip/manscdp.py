"""MANSCDP XML bodies (GB/T 28181 Annex A): decoding by the XML declaration, safe parsing, what we read.

The body's bytes are decoded with the encoding its declaration names (GB2312 — read as GB18030, its
superset, since devices labelled GB2312 send GBK characters — GBK, GB18030 or UTF-8; UTF-8 when there is no
declaration), then parsed safely: a body with a DTD (anything containing ``<!``) goes through defusedxml with
DTDs forbidden, so entities, external references and XML bombs are refused; a body without one cannot declare
an entity, and the standard library parser (half the time per keepalive) reads it. Failures raise
:class:`~pingan.cameras.sip.message.SipError` with their counter reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError, fromstring

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from pingan.cameras.sip.message import SipError

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9_.-]+)["']""")
_CODECS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "utf-8": "utf-8",
    "utf8": "utf-8",
}
ITEM_FIELDS = ("DeviceID", "Name", "Manufacturer", "Model", "ParentID", "Status", "Longitude", "Latitude")
_NUMERIC = ("Longitude", "Latitude")


def is_device_id(value: str) -> bool:
    """A GB/T 28181 coding-rule-A ID: exactly 20 ASCII digits."""
    return len(value) == 20 and value.isascii() and value.isdigit()


def decode(body: bytes) -> str:
    """The body as text, by its declared encoding, without the declaration."""
    body = body.removeprefix(b"\xef\xbb\xbf").rstrip(b"\x00 \r\n\t")
    codec = "utf-8"
    declaration = _DECLARATION.match(body)
    if declaration:
        named = _ENCODING.search(declaration.group(0))
        if named:
            codec = _CODECS.get(named.group(1).decode("ascii").lower(), "")
            if not codec:
                raise SipError("bad_encoding", "unsupported encoding")
        body = body[declaration.end() :]
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        raise SipError("bad_encoding", f"not {codec}") from None


def parse(body: bytes) -> Element:
    """The body's root element, parsed safely."""
    text = decode(body)
    try:
        if "<!" in text:  # a DTD (or a comment, CDATA): defusedxml, which refuses DTDs and so every entity
            root = SafeET.fromstring(text, forbid_dtd=True)
        else:  # no DTD, so no entity declared to expand or fetch: the standard parser, twice as fast
            root = fromstring(text)
    except (DefusedXmlException, ParseError, ValueError):
        raise SipError("bad_xml") from None
    if not isinstance(root, Element):
        raise SipError("bad_xml")
    return root


def _text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


@dataclass
class Manscdp:
    """What a MANSCDP message says: its kind (root tag), CmdType, SN, DeviceID and catalog items."""

    kind: str
    cmd: str
    sn: str
    device_id: str
    sum_num: int = 0
    items: list[dict[str, object]] = field(default_factory=list)
    skipped_items: int = 0


def _number(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _item(element: Element) -> dict[str, object]:
    item: dict[str, object] = {}
    for name in ITEM_FIELDS:
        value = _text(element, name)
        item[name] = _number(value) if name in _NUMERIC else (value or None)
    return item


def catalog_query(device_id: str, sn: int) -> bytes:
    """The body of the platform's Catalog query to a device."""
    return (
        '<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n'
        f"<SN>{sn}</SN>\r\n<DeviceID>{device_id}</DeviceID>\r\n</Query>\r\n"
    ).encode("ascii")


def read(body: bytes) -> Manscdp:
    """Parse a MANSCDP body; catalog items come with the fields SipDirectory.catalog documents."""
    root = parse(body)
    message = Manscdp(
        kind=root.tag, cmd=_text(root, "CmdType"), sn=_text(root, "SN"), device_id=_text(root, "DeviceID")
    )
    if not message.cmd:
        raise SipError("bad_xml", "no CmdType")
    if message.kind == "Response" and message.cmd == "Catalog":
        total = _text(root, "SumNum")
        if not total.isdigit():
            raise SipError("bad_xml", "SumNum")
        message.sum_num = int(total)
        device_list = root.find("DeviceList")
        for element in device_list.findall("Item") if device_list is not None else ():
            item = _item(element)
            if is_device_id(str(item["DeviceID"] or "")):
                message.items.append(item)
            else:  # administrative-division nodes (2-8 or 10 digits) and junk: not devices
                message.skipped_items += 1
    return message
