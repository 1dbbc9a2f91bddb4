"""The hand-read D-Bus reply of the keychain listing (app/pixi_auth_tui/stores/dbus_wire.py)
against jeepney, the general parser it stands in for: the reply value for value, and every
other message declined so jeepney reads it."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    Parser,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.low_level import Endianness
from pixi_auth_tui.stores import dbus_wire

segments = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", min_size=1, max_size=12)
paths = st.lists(segments, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts))
names = st.lists(segments.filter(lambda s: not s[0].isdigit()), min_size=2, max_size=4).map(".".join)
serials = st.integers(min_value=1, max_value=2**32 - 1)
# D-Bus strings are UTF-8 without NUL; anything else a keychain may hold is fair game.
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=20)
attributes = st.dictionaries(texts, texts, max_size=6)


def parse(raw: bytes):
    (message,) = Parser().feed(raw)
    return message


def reply(values: dict[str, str], serial: int, sender: str, signature: str = "v", body=None):
    call = new_method_call(DBusAddress("/o", "org.example", "org.example.I"), "Get", "ss", ("a", "b"))
    call.header.serial = serial
    message = new_method_return(call, signature, body if body is not None else (("a{ss}", values),))
    message.header.fields[HeaderFields.sender] = sender
    message.header.fields[HeaderFields.destination] = ":1.7"
    return message


@settings(max_examples=300, deadline=None)
@given(attributes, serials, names, serials)
def test_an_attributes_reply_reads_as_jeepney_reads_it(values, serial, sender, own_serial):
    raw = reply(values, serial, sender).serialise(own_serial)
    assert dbus_wire.message_size(raw) == len(raw)
    message = parse(raw)
    assert dbus_wire.string_dict_variant_reply(raw) == (message.header.fields[HeaderFields.reply_serial], values)
    assert dbus_wire.reply_serial(raw) == serial
    ((_signature, parsed),) = message.body
    assert parsed == values


@settings(max_examples=400, deadline=None)
@given(attributes, serials, st.data())
def test_a_damaged_reply_is_declined_or_read_as_jeepney_reads_it(values, serial, data):
    raw = bytearray(reply(values, serial, ":1.2").serialise(9))
    at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[at] = data.draw(st.integers(min_value=0, max_value=255))
    raw = bytes(raw)
    fast = dbus_wire.string_dict_variant_reply(raw)
    serial_seen = dbus_wire.reply_serial(raw)
    if fast is None:
        if serial_seen is not None:  # the framing's answer: which call this replies to
            try:
                message = parse(raw)
            except Exception:  # jeepney cannot read it either
                return
            assert message.header.fields.get(HeaderFields.reply_serial) == serial_seen
        return
    assert serial_seen == fast[0]
    message = parse(raw)  # what the fast path answers, jeepney must read the same way
    assert message.header.message_type is MessageType.method_return
    assert fast == (message.header.fields[HeaderFields.reply_serial], message.body[0][1])


@settings(max_examples=200, deadline=None)
@given(attributes, serials, st.data())
def test_a_reply_cut_short_or_with_a_wrong_length_is_declined(values, serial, data):
    raw = bytearray(reply(values, serial, ":1.2").serialise(9))
    at = data.draw(st.integers(min_value=4, max_value=15))  # body or header-fields length
    raw[at] = data.draw(st.integers(min_value=0, max_value=255))
    raw = bytes(raw[: data.draw(st.integers(min_value=0, max_value=len(raw)))])
    fast = dbus_wire.string_dict_variant_reply(raw)
    assert fast is None or fast == (serial, values)
    assert dbus_wire.reply_serial(raw) in (None, serial)


def test_other_messages_are_left_to_jeepney():
    call = new_method_call(DBusAddress("/o", "org.example", "org.example.I"), "Get", "ss", ("a", "b"))
    call.header.serial = 41
    error = new_error(call, "org.freedesktop.Secret.Error.IsLocked", "s", ("locked",))
    others = [
        error,
        reply({}, 41, ":1.2", "s", ("text",)),
        reply({}, 41, ":1.2", "v", (("as", ["a"]),)),
        reply({}, 41, ":1.2", "v", (("a{sv}", {"a": ("s", "b")}),)),
        new_signal(DBusAddress("/o", interface="org.example.I"), "Changed"),
    ]
    for message in others:
        raw = message.serialise(5)
        assert dbus_wire.message_size(raw) == len(raw)
        assert dbus_wire.string_dict_variant_reply(raw) is None
        parse(raw)  # jeepney reads each
    assert dbus_wire.reply_serial(error.serialise(5)) == 41  # an error still answers its call
    assert dbus_wire.reply_serial(others[-1].serialise(5)) is None
    # a big-endian sender: framed by either byte order, read by jeepney alone
    big = reply({"service": "rattler"}, 41, ":1.2")
    big.header.endianness = Endianness.big
    raw = big.serialise(5)
    assert raw[:1] == b"B" and dbus_wire.message_size(raw) == len(raw)
    assert dbus_wire.string_dict_variant_reply(raw) is None and dbus_wire.reply_serial(raw) is None
    assert parse(raw).body[0][1] == {"service": "rattler"}


def test_a_header_whose_fields_end_mid_padding_is_declined():
    # One empty signature field (6 bytes), the fields' array said to be 7 bytes long: the next
    # field would start past the fields' end, at the end of the message.
    raw = struct.pack("<cBBBIII", b"l", 2, 0, 1, 0, 1, 7) + bytes((8, 1)) + b"g\0" + b"\0\0" + b"\0\0"
    assert len(raw) == dbus_wire.message_size(raw) == 24
    assert dbus_wire.reply_serial(raw) is None and dbus_wire.string_dict_variant_reply(raw) is None


def test_a_variant_reply_whose_body_ends_before_its_array_is_declined():
    whole = reply({"service": "rattler"}, 41, ":1.2").serialise(5)
    fields_length = struct.unpack_from("<I", whole, 12)[0]
    start = 16 + fields_length + (-fields_length % 8)
    cut = whole[: start + 8]  # the variant's signature and padding, but no array length
    cut = cut[:4] + struct.pack("<I", 8) + cut[8:]  # a body length that says so
    assert dbus_wire.message_size(cut) == len(cut)
    assert dbus_wire.string_dict_variant_reply(cut) is None
