"""D-Bus framing, and the one reply a keychain listing reads per item, by hand.

Listing 1,000 items reads 1,000 replies to `Properties.Get(Item, "Attributes")`, each holding
an `a{ss}`. This module reads exactly that shape with `struct`, and frames the byte stream into
messages; a message of any other shape (an error, a signal, a big-endian sender) returns None
here and is parsed by jeepney, as every call is built by jeepney. It stays because reading
those replies with jeepney's general parser cost the listing a large share of its own CPU
(bench/RESULTS.md, "Issue 24: the D-Bus encoder"). tests/test_dbus_wire.py checks it against
jeepney value for value.

Wire format (D-Bus specification, "Message Format"): a 12-byte fixed header, the header fields
as an array of (code, variant) structs each aligned to 8, padding to 8, then the body;
alignment counts from the start of the message.
"""

from __future__ import annotations

import struct

FIXED_HEADER = 16  # the fixed part and the header fields' array length
LITTLE = ord("l")
METHOD_RETURN = 2
PATH, INTERFACE, MEMBER, ERROR_NAME, REPLY_SERIAL, DESTINATION, SENDER, SIGNATURE = range(1, 9)

# Each header field's type, as the D-Bus specification gives it (as a one-type signature);
# UNIX_FDS (9) is left out: a listing is never sent file descriptors, jeepney reads such a reply.
_FIELD_TYPES = {
    PATH: b"\x01o\0",
    INTERFACE: b"\x01s\0",
    MEMBER: b"\x01s\0",
    ERROR_NAME: b"\x01s\0",
    REPLY_SERIAL: b"\x01u\0",
    DESTINATION: b"\x01s\0",
    SENDER: b"\x01s\0",
    SIGNATURE: b"\x01g\0",
}
_U32 = struct.Struct("<I")
_FIXED = struct.Struct("<cBBBIII")


def message_size(data: bytes | bytearray, offset: int = 0) -> int:
    """The whole message's length, from its first 16 bytes (either byte order)."""
    order = "<" if data[offset] == LITTLE else ">"
    body_length, _serial, fields_length = struct.unpack_from(order + "III", data, offset + 4)
    return FIXED_HEADER + fields_length + (-fields_length % 8) + body_length


def reply_serial(raw: bytes) -> int | None:
    """The serial a little-endian reply (return or error) answers; None for anything else."""
    header = _header(raw)
    return None if header is None else header[1]


def string_dict_variant_reply(raw: bytes) -> tuple[int, dict[str, str]] | None:
    """(serial answered, the dict) of a little-endian method return whose body is one variant
    holding `a{ss}` (a Get of `Attributes`); None for any other message."""
    header = _header(raw)
    if header is None:
        return None
    message_type, serial, signature, pos = header
    if message_type != METHOD_RETURN or signature != b"v" or raw[pos : pos + 7] != b"\x05a{ss}\0":
        return None
    pos += 7
    pos += -pos % 4
    result: dict[str, str] = {}
    try:
        (length,) = _U32.unpack_from(raw, pos)
        pos += 4
        pos += -pos % 8  # dict entries are 8-aligned
        end = pos + length
        if end != len(raw):
            return None
        while pos < end:
            pos += -pos % 8
            key, pos = _string(raw, pos)
            pos += -pos % 4
            value, pos = _string(raw, pos)
            result[key] = value
    except (ValueError, struct.error):  # bad UTF-8 or a length past the end: jeepney says why
        return None
    return (serial, result) if pos == end else None


def _string(raw: bytes, pos: int) -> tuple[str, int]:
    (length,) = _U32.unpack_from(raw, pos)
    start = pos + 4
    stop = start + length
    if stop >= len(raw) or raw[stop] != 0:
        raise ValueError("string runs past its message")
    return raw[start:stop].decode("utf-8"), stop + 1


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _header(raw: bytes) -> tuple[int, int, bytes, int] | None:
    """(message type, reply serial, body signature, body offset) of a little-endian message
    with a reply serial, walking its header fields; None when anything is unexpected.

    Every read stays inside `raw`: the total length is checked first, each field starts
    8-aligned before the fields' end (which the 8-aligned body follows), so its fixed part
    (code, type, a length or a `u`) fits in those 8 bytes; a string's own length is only
    sliced, never read past."""
    if len(raw) < FIXED_HEADER or raw[0] != LITTLE or raw[3] != 1:
        return None
    _endian, message_type, _flags, _version, body_length, _serial, fields_length = _FIXED.unpack_from(raw)
    pos, end = FIXED_HEADER, FIXED_HEADER + fields_length
    body = end + (-end % 8)
    if body + body_length != len(raw):
        return None
    serial: int | None = None
    signature = b""
    while pos < end:
        pos += -pos % 8
        if pos >= end:  # padding past the fields' end: a field length lied
            return None
        code, type_code = raw[pos], raw[pos + 1 : pos + 4]
        if type_code != _FIELD_TYPES.get(code):
            return None  # passed file descriptors, a field D-Bus does not define, or the wrong type
        pos += 4
        if code == REPLY_SERIAL:
            value: int | bytes = _U32.unpack_from(raw, pos)[0]
            pos += 4
        elif code != SIGNATURE:  # a string or an object path
            (length,) = _U32.unpack_from(raw, pos)
            value, pos = raw[pos + 4 : pos + 4 + length], pos + 4 + length
            if raw[pos : pos + 1] != b"\0" or not _is_utf8(value):
                return None
            pos += 1
        else:  # the body's signature
            length = raw[pos]
            value, pos = raw[pos + 1 : pos + 1 + length], pos + 1 + length
            if raw[pos : pos + 1] != b"\0" or not _is_utf8(value):
                return None
            pos += 1
        if code == REPLY_SERIAL and isinstance(value, int):
            serial = value
        elif code == SIGNATURE and isinstance(value, bytes):
            signature = value
    if pos != end or serial is None:
        return None
    return message_type, serial, signature, body
