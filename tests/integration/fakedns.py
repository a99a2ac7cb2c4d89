"""fakedns: a minimal authoritative DNS server for the integration tests.

It answers A, AAAA, MX and CNAME questions over UDP and TCP from a zone
given as a dict, and logs every question it gets. Standard library only.

    zone = {
        "mx.example": {"MX": [(10, "mail.mx.example")]},
        "mail.mx.example": {"A": ["192.0.2.10"], "AAAA": ["2001:db8::10"]},
        "nullmx.example": {"MX": [(0, ".")]},         # RFC 7505 null MX
        "alias.example": {"CNAME": "mx.example"},
        "servfail.example": "SERVFAIL",               # or "REFUSED"
    }

A name missing from the zone gets NXDOMAIN; a name without records of the
type asked gets an empty NOERROR answer; a CNAME comes with its target's
records, as a recursive server would give them. Labels are written as
given, so a zone may hold names no host may have ("bad host.example").
A UDP answer longer than 512 bytes is cut to its question with TC set,
so the client asks again over TCP. Each question is appended to the log
file as "name TYPE udp|tcp" (name in lower case) before it is answered.
"""

import socket
import struct
import threading

TYPES = {"A": 1, "CNAME": 5, "MX": 15, "AAAA": 28}
TYPE_NAMES = {number: name for name, number in TYPES.items()}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "REFUSED": 5}
HEADER = struct.Struct("!HHHHHH")       # id, flags, qd, an, ns, ar counts
RR_FIXED = struct.Struct("!HHIH")       # type, class, TTL, data length
FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD = 0x8000, 0x0400, 0x0200, 0x0100
CLASS_IN = 1
TTL = 60
UDP_MAX = 512                           # without EDNS (RFC 1035 4.2.1)
MESSAGE_MAX = 65535
LABEL_MAX = 63
POINTER_TO_QUESTION = b"\xc0\x0c"       # the question's name, at offset 12
CNAME_CHAIN_MAX = 8
TCP_IDLE_TIMEOUT = 10                   # seconds a TCP client may stay silent


class FormatError(Exception):
    """A query this server cannot read."""


def encode_name(name):
    """Wire form of "a.b" ("." or "" is the root)."""
    stripped, out = name.strip("."), b""
    for label in stripped.split(".") if stripped else []:
        raw = label.encode("latin-1")
        if not raw or len(raw) > LABEL_MAX:
            raise ValueError("bad label in %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def read_question(msg):
    """(id, flags, question bytes, name, type) of a query."""
    if len(msg) < HEADER.size:
        raise FormatError("short header")
    qid, flags, qdcount = HEADER.unpack_from(msg)[:3]
    if flags & FLAG_QR or qdcount != 1:
        raise FormatError("not one question")
    pos, labels = HEADER.size, []
    while True:
        if pos >= len(msg) or msg[pos] > LABEL_MAX:
            raise FormatError("bad name")
        length = msg[pos]
        pos += 1
        if length == 0:
            break
        labels.append(msg[pos:pos + length].decode("latin-1"))
        pos += length
    if pos + 4 > len(msg):
        raise FormatError("short question")
    qtype = struct.unpack_from("!H", msg, pos)[0]
    return qid, flags, msg[HEADER.size:pos + 4], ".".join(labels), qtype


def rdata(rtype, value):
    if rtype == TYPES["A"]:
        return socket.inet_pton(socket.AF_INET, value)
    if rtype == TYPES["AAAA"]:
        return socket.inet_pton(socket.AF_INET6, value)
    if rtype == TYPES["MX"]:
        pref, host = value
        return struct.pack("!H", pref) + encode_name(host)
    return encode_name(value)           # CNAME


class Zone:
    def __init__(self, zone):
        self.entries = {name.lower().rstrip("."): entry for name, entry in zone.items()}

    def answer(self, qname, qtype):
        """(rcode, [(owner, type, data)]) for a question."""
        name, records = qname.lower().rstrip("."), []
        for _ in range(CNAME_CHAIN_MAX):
            entry = self.entries.get(name)
            if entry is None:
                return RCODES["NXDOMAIN"], records
            if isinstance(entry, str):
                return RCODES[entry], records
            if "CNAME" in entry and qtype != TYPES["CNAME"]:
                records.append((name, TYPES["CNAME"], rdata(TYPES["CNAME"], entry["CNAME"])))
                name = entry["CNAME"].lower().rstrip(".")
                continue
            values = entry.get(TYPE_NAMES.get(qtype), [])
            if isinstance(values, str):
                values = [values]
            return RCODES["NOERROR"], records + [(name, qtype, rdata(qtype, v)) for v in values]
        return RCODES["SERVFAIL"], []


def build_response(qid, flags, question, qname, rcode, records):
    out = HEADER.pack(qid, FLAG_QR | FLAG_AA | (flags & FLAG_RD) | rcode, 1, len(records), 0, 0)
    out += question
    for owner, rtype, data in records:
        same = owner == qname.lower().rstrip(".")
        out += POINTER_TO_QUESTION if same else encode_name(owner)
        out += RR_FIXED.pack(rtype, CLASS_IN, TTL, len(data)) + data
    return out


def truncated(response, question):
    """The header with TC set and the question only."""
    qid, flags = HEADER.unpack_from(response)[:2]
    return HEADER.pack(qid, flags | FLAG_TC, 1, 0, 0, 0) + question


class FakeDns:
    """The server on host:port, in daemon threads, until close()."""

    def __init__(self, zone, log_path, host="127.0.0.1", port=53):
        self.zone = Zone(zone)
        self.log_path = log_path
        self.address = (host, port)
        self.lock = threading.Lock()
        self.udp = self.tcp = None

    def start(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(self.address)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(self.address)
        self.tcp.listen(16)
        for target in (self.serve_udp, self.serve_tcp):
            threading.Thread(target=target, daemon=True).start()
        return self

    def close(self):
        for s in (self.udp, self.tcp):
            if s is not None:
                s.close()

    def log(self, name, qtype, proto):
        with self.lock, open(self.log_path, "a") as f:
            f.write("%s %s %s\n" % (name.lower() or ".", TYPE_NAMES.get(qtype, qtype), proto))

    def respond(self, msg, proto):
        """The response bytes, or None for a message not worth one."""
        try:
            qid, flags, question, qname, qtype = read_question(msg)
        except FormatError:
            if len(msg) < 2:
                return None
            return HEADER.pack(struct.unpack_from("!H", msg)[0], FLAG_QR | RCODES["FORMERR"],
                               0, 0, 0, 0)
        self.log(qname, qtype, proto)
        rcode, records = self.zone.answer(qname, qtype)
        response = build_response(qid, flags, question, qname, rcode, records)
        if proto == "udp" and len(response) > UDP_MAX:
            response = truncated(response, question)
        return response

    def serve_udp(self):
        while True:
            try:
                msg, peer = self.udp.recvfrom(MESSAGE_MAX)
                response = self.respond(msg, "udp")
                if response:
                    self.udp.sendto(response, peer)
            except OSError:
                return          # closed

    def serve_tcp(self):
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_tcp_client, args=(conn,), daemon=True).start()

    def serve_tcp_client(self, conn):
        with conn:
            conn.settimeout(TCP_IDLE_TIMEOUT)
            try:
                while True:
                    head = recv_exact(conn, 2)
                    if head is None:
                        return
                    msg = recv_exact(conn, struct.unpack("!H", head)[0])
                    response = msg and self.respond(msg, "tcp")
                    if not response:
                        return
                    conn.sendall(struct.pack("!H", len(response)) + response)
            except OSError:
                return


def recv_exact(conn, n):
    """n bytes, or None when the peer closes first."""
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data

