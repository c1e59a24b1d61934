#!/usr/bin/python3
"""Cross-checks tenantctl's CQL codec against the DataStax Python driver (Debian python3-cassandra).

Reads a JSON array of cases on stdin and writes a JSON array of answers on stdout, one per case:
  {"op": "encode_request", "message": {...}, "stream": N}
      -> {"hex": ...}: the frame the driver's own encoder (ProtocolHandler.encode_message) builds.
  {"op": "decode_response", "hex": ...}
      -> a JSON description of what the driver's ProtocolHandler.decode_message makes of our frame.
  {"op": "spec_response", "message": {...}, "stream": N}
      -> {"hex": ...}: a server message the driver has no encoder for, packed here independently
         with struct, straight from doc/native_protocol_v4.spec.
Run with /usr/bin/python3 (the pyenv python3 on PATH does not have the driver).
"""
import datetime
import json
import struct
import sys

from cassandra import ConsistencyLevel, cqltypes, util
from cassandra.protocol import (BatchMessage, ExecuteMessage, OptionsMessage, PrepareMessage,
                                ProtocolHandler, QueryMessage, StartupMessage, AuthResponseMessage,
                                RegisterMessage, ErrorMessage, ResultMessage)
from cassandra.query import BatchType, UNSET_VALUE

V4 = 4
EPOCH = datetime.datetime(1970, 1, 1)


def serialize(value):
    """A typed JSON value -> bytes, via the driver's cqltypes serializers."""
    t, v = value["type"], value.get("value")
    if t == "null":
        return None
    if t == "unset":  # "not set" (-2): the driver's own marker
        return UNSET_VALUE
    serializers = {
        "text": cqltypes.UTF8Type, "bigint": cqltypes.LongType, "int": cqltypes.Int32Type,
        "double": cqltypes.DoubleType, "float": cqltypes.FloatType, "boolean": cqltypes.BooleanType,
        "smallint": cqltypes.ShortType, "tinyint": cqltypes.ByteType,
    }
    if t in serializers:
        return serializers[t].serialize(v, V4)
    if t == "timestamp":  # milliseconds since the epoch
        return cqltypes.DateType.serialize(EPOCH + datetime.timedelta(milliseconds=v), V4)
    if t == "date":  # days since the epoch
        return cqltypes.SimpleDateType.serialize(util.Date(v), V4)
    if t == "blob":
        return cqltypes.BytesType.serialize(bytes.fromhex(v), V4)
    if t == "list_text":
        return cqltypes.ListType.apply_parameters([cqltypes.UTF8Type]).serialize(v, V4)
    raise ValueError("unknown value type " + t)


def encode_request(m, stream):
    kind = m["kind"]
    cl = m.get("consistency", ConsistencyLevel.ONE)
    if kind == "startup":
        msg = StartupMessage(cqlversion=m["cql_version"], options={})
    elif kind == "options":
        msg = OptionsMessage()
    elif kind == "auth_response":
        msg = AuthResponseMessage(bytes.fromhex(m["token"]))
    elif kind == "register":
        msg = RegisterMessage(m["events"])
    elif kind == "prepare":
        msg = PrepareMessage(m["query"])
    elif kind == "query":
        msg = QueryMessage(m["query"], cl, serial_consistency_level=m.get("serial"),
                           fetch_size=m.get("page_size"),
                           paging_state=bytes.fromhex(m["paging_state"]) if "paging_state" in m else None,
                           timestamp=m.get("timestamp"))
        if m.get("values") is not None:
            msg.query_params = [serialize(v) for v in m["values"]]
    elif kind == "execute":
        msg = ExecuteMessage(bytes.fromhex(m["id"]), [serialize(v) for v in m["values"]], cl,
                             fetch_size=m.get("page_size"),
                             paging_state=bytes.fromhex(m["paging_state"]) if "paging_state" in m else None,
                             skip_meta=m.get("skip_metadata", False))
    elif kind == "batch":
        queries = []
        for s in m["statements"]:
            params = [serialize(v) for v in s["values"]]
            if "id" in s:
                queries.append((True, bytes.fromhex(s["id"]), params))
            else:
                queries.append((False, s["query"], params))
        msg = BatchMessage(BatchType.UNLOGGED if m["batch_type"] == 1 else BatchType.LOGGED, queries, cl,
                           timestamp=m.get("timestamp"))
    else:
        raise ValueError("unknown request kind " + kind)
    return ProtocolHandler.encode_message(msg, stream, V4, None, False).hex()


def plain(value):
    """A decoded Python value -> JSON."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        delta = value.replace(tzinfo=None) - EPOCH
        return {"timestamp": delta.days * 86400000 + delta.seconds * 1000 + delta.microseconds // 1000}
    if isinstance(value, util.Date):
        return {"date": value.days_from_epoch}
    if isinstance(value, (bytes, bytearray)):
        return {"blob": bytes(value).hex()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return {"double": value}
    return value


def type_name(t):
    return t.cql_parameterized_type() if hasattr(t, "cql_parameterized_type") else str(t)


def decode_response(data):
    version, flags, stream, opcode, length = struct.unpack(">BBhBi", data[:9])
    assert version == 0x84, "not a v4 response frame: %02x" % version
    assert length == len(data) - 9, "length %d for a body of %d bytes" % (length, len(data) - 9)
    msg = ProtocolHandler.decode_message(V4, {}, stream, flags, opcode, data[9:], None, None)
    out = {"class": type(msg).__name__, "stream": stream, "warnings": msg.warnings or []}
    if isinstance(msg, ErrorMessage):
        out["code"] = msg.code
        out["message"] = msg.message
        info = msg.info
        if isinstance(info, dict):
            info = {k: (v if not isinstance(v, bytes) else v.hex()) for k, v in info.items()}
        elif isinstance(info, bytes):
            info = info.hex()
        out["info"] = info
    elif isinstance(msg, ResultMessage):
        out["kind"] = msg.kind
        if msg.kind == 2:
            out["columns"] = msg.column_names
            out["types"] = [type_name(t) for t in msg.column_types]
            out["rows"] = [[plain(v) for v in row] for row in msg.parsed_rows]
            out["paging_state"] = msg.paging_state.hex() if msg.paging_state else None
        elif msg.kind == 3:
            out["keyspace"] = msg.new_keyspace
        elif msg.kind == 4:
            out["id"] = msg.query_id.hex()
            out["bind"] = [[c[0], c[1], c[2], type_name(c[3])] for c in msg.bind_metadata]
            out["pk_indexes"] = msg.pk_indexes
            out["result_columns"] = [c[2] for c in (msg.column_metadata or [])]
        elif msg.kind == 5:
            out["event"] = {k: (v if isinstance(v, str) else repr(v)) for k, v in msg.schema_change_event.items()}
    else:
        for key in ("authenticator", "token", "challenge", "cql_versions", "options"):
            if hasattr(msg, key):
                v = getattr(msg, key)
                out[key] = v.hex() if isinstance(v, bytes) else v
    return out


# Independent packing of server messages, straight from the spec's notations.
def s_short(n): return struct.pack(">H", n)
def s_int(n): return struct.pack(">i", n)
def s_string(s): b = s.encode(); return s_short(len(b)) + b
def s_bytes(b): return s_int(-1) if b is None else s_int(len(b)) + b
def s_string_list(l): return s_short(len(l)) + b"".join(s_string(x) for x in l)


def spec_response(m, stream):
    kind = m["kind"]
    flags = 0
    prefix = b""
    if m.get("warnings"):
        flags |= 0x08
        prefix = s_string_list(m["warnings"])
    if kind == "ready":
        opcode, body = 0x02, b""
    elif kind == "authenticate":
        opcode, body = 0x03, s_string(m["authenticator"])
    elif kind == "auth_success":
        opcode, body = 0x10, s_bytes(bytes.fromhex(m["token"]) if m.get("token") is not None else None)
    elif kind == "auth_challenge":
        opcode, body = 0x0E, s_bytes(bytes.fromhex(m["token"]))
    elif kind == "supported":
        body = s_short(len(m["options"])) + b"".join(s_string(k) + s_string_list(v) for k, v in m["options"].items())
        opcode = 0x06
    elif kind == "error":
        opcode = 0x00
        body = s_int(m["code"]) + s_string(m["message"])
        for field in m.get("detail", []):
            t, v = field
            body += {"short": s_short, "int": s_int, "string": s_string, "byte": lambda x: struct.pack(">B", x),
                     "short_bytes": lambda x: s_short(len(bytes.fromhex(x))) + bytes.fromhex(x),
                     "string_list": s_string_list}[t](v)
    elif kind == "void":
        opcode, body = 0x08, s_int(1)
    elif kind == "set_keyspace":
        opcode, body = 0x08, s_int(3) + s_string(m["keyspace"])
    elif kind == "schema_change":
        opcode = 0x08
        body = s_int(5) + b"".join(s_string(x) for x in m["strings"])
        if "argument_types" in m:
            body += s_string_list(m["argument_types"])
    elif kind == "rows":
        # Per-column table specs (no global flag), so this differs from how our encoder lays it out.
        opcode = 0x08
        rflags = 0x0002 if m.get("paging_state") else 0
        body = s_int(2) + s_int(rflags) + s_int(len(m["columns"]))
        if m.get("paging_state"):
            body += s_bytes(bytes.fromhex(m["paging_state"]))
        type_ids = {"text": 0x0D, "bigint": 0x02, "int": 0x09, "double": 0x07, "boolean": 0x04, "timestamp": 0x0B,
                    "date": 0x11, "blob": 0x03, "list_text": None}
        for name, t in m["columns"]:
            body += s_string(m["keyspace"]) + s_string(m["table"]) + s_string(name)
            body += s_short(0x20) + s_short(0x0D) if t == "list_text" else s_short(type_ids[t])
        body += s_int(len(m["rows"]))
        for row in m["rows"]:
            for (name, t), v in zip(m["columns"], row):
                body += s_bytes(serialize({"type": t if v is not None else "null", "value": v}))
    elif kind == "prepared":
        opcode = 0x08
        body = s_int(4) + s_short(len(bytes.fromhex(m["id"]))) + bytes.fromhex(m["id"])
        body += s_int(0x0001) + s_int(len(m["bind"])) + s_int(len(m["pk_indexes"]))
        body += b"".join(s_short(i) for i in m["pk_indexes"])
        body += s_string(m["keyspace"]) + s_string(m["table"])
        type_ids = {"text": 0x0D, "bigint": 0x02, "double": 0x07, "timestamp": 0x0B, "date": 0x11}
        for name, t in m["bind"]:
            body += s_string(name) + s_short(type_ids[t])
        body += s_int(0x0004) + s_int(0)  # result metadata: No_metadata, 0 columns
    else:
        raise ValueError("unknown response kind " + kind)
    body = prefix + body
    return (struct.pack(">BBhBi", 0x84, flags, stream, opcode, len(body)) + body).hex()


def main():
    answers = []
    for case in json.load(sys.stdin):
        try:
            op = case["op"]
            if op == "encode_request":
                answers.append({"hex": encode_request(case["message"], case.get("stream", 0))})
            elif op == "decode_response":
                answers.append(decode_response(bytes.fromhex(case["hex"])))
            elif op == "spec_response":
                answers.append({"hex": spec_response(case["message"], case.get("stream", 0))})
            else:
                answers.append({"error": "unknown op " + op})
        except Exception as e:  # reported per case so one bad case does not hide the others
            answers.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
