#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A small NVMe/TCP host for usk_tgt's functional tests, written from the
NVMe/TCP 1.0 and NVMe base 2.0 specifications: ICReq, Fabrics Connect,
Property Get/Set, Identify, Write (in-capsule and by R2T/H2CData), Read
(C2HData), and PDUs that break the protocol on purpose.

Usage: nvmf_tcp_host.py ADDR PORT SUBNQN SCENARIO
Scenarios: io, io-digests, denied HOSTNQN, malformed. Exit status 0 when
every check of the scenario held; each failure is printed.
"""
import socket
import struct
import sys

HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-0000000000aa"

PDU_ICREQ, PDU_ICRESP, PDU_H2C_TERM, PDU_C2H_TERM = 0, 1, 2, 3
PDU_CMD, PDU_RESP, PDU_H2C_DATA, PDU_C2H_DATA, PDU_R2T = 4, 5, 6, 7, 9
FLAG_HDGST, FLAG_DDGST, FLAG_LAST, FLAG_SUCCESS = 1, 2, 4, 8
SGL_OFFSET, SGL_TRANSPORT = 0x01, 0x5A


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


class Closed(Exception):
    """The target closed the connection."""


class Host:
    """One connection: one queue."""

    def __init__(self, addr, port, hdgst=False, ddgst=False):
        self.sock = socket.create_connection((addr, int(port)), timeout=20)
        self.hdgst = hdgst
        self.ddgst = ddgst
        self.cid = 0

    def close(self):
        self.sock.close()

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise Closed()
            buf += chunk
        return buf

    def recv_pdu(self):
        """(type, flags, header bytes, data bytes)."""
        ch = self.recv_exact(8)
        ptype, flags, hlen, pdo, plen = struct.unpack("<BBBBI", ch)
        rest = self.recv_exact(plen - 8)
        pdu = ch + rest
        hdr = pdu[:hlen]
        data = b""
        if ptype in (PDU_C2H_TERM,):
            data = pdu[hlen:]
        elif pdo:
            end = plen - (4 if flags & FLAG_DDGST else 0)
            data = pdu[pdo:end]
            if flags & FLAG_DDGST:
                want = struct.unpack("<I", pdu[end:end + 4])[0]
                if crc32c(data) != want:
                    raise ValueError("bad data digest from the target")
        if flags & FLAG_HDGST:
            want = struct.unpack("<I", pdu[hlen:hlen + 4])[0]
            if crc32c(hdr) != want:
                raise ValueError("bad header digest from the target")
        return ptype, flags, hdr, data

    def send_pdu(self, ptype, psh, data=b"", flags=0, bad_hdgst=False):
        digests = ptype not in (PDU_ICREQ, PDU_H2C_TERM)
        hd = 4 if digests and self.hdgst else 0
        dd = 4 if digests and self.ddgst and data else 0
        hlen = 8 + len(psh)
        flags |= (FLAG_HDGST if hd else 0) | (FLAG_DDGST if dd else 0)
        pdo = hlen + hd if data else 0
        plen = hlen + hd + len(data) + dd
        hdr = struct.pack("<BBBBI", ptype, flags, hlen, pdo, plen) + psh
        out = hdr
        if hd:
            crc = crc32c(hdr) ^ (0xFFFFFFFF if bad_hdgst else 0)
            out += struct.pack("<I", crc)
        out += data
        if dd:
            out += struct.pack("<I", crc32c(data))
        self.sock.sendall(out)

    def icreq(self):
        dgst = (1 if self.hdgst else 0) | (2 if self.ddgst else 0)
        psh = struct.pack("<HBBI", 0, 0, dgst, 0) + bytes(112)
        self.send_pdu(PDU_ICREQ, psh)
        ptype, _, hdr, _ = self.recv_pdu()
        assert ptype == PDU_ICRESP, "expected ICResp, got type %d" % ptype
        pfv, cpda, dgst_got, maxh2c = struct.unpack("<HBBI", hdr[8:16])
        assert dgst_got == dgst, "digests granted %d, asked %d" % (dgst_got, dgst)
        self.maxh2cdata = maxh2c

    def sqe(self, opcode, nsid=0, addr=0, length=0, sgl_type=SGL_TRANSPORT, cdw=(0,) * 6,
            byte4=None):
        self.cid = (self.cid + 1) & 0xFFFF
        dptr2 = length | (sgl_type << 56) if length else 0
        sqe = struct.pack("<BBHIIIQQQIIIIII", opcode, 0x40, self.cid, nsid, 0, 0, 0, addr,
                          dptr2, *cdw)
        if byte4 is not None:
            sqe = sqe[:4] + bytes([byte4]) + sqe[5:]
        return sqe

    def command(self, sqe, icd=b"", read_len=0, write_data=None):
        """Send a command; returns (cqe status, dw0, dw1, data read)."""
        self.send_pdu(PDU_CMD, sqe, icd)
        got = b""
        while True:
            ptype, flags, hdr, data = self.recv_pdu()
            if ptype == PDU_C2H_DATA:
                datao = struct.unpack("<I", hdr[12:16])[0]
                assert datao == len(got), "C2HData out of order"
                got += data
                if flags & FLAG_SUCCESS:
                    return 0, 0, 0, got
                continue
            if ptype == PDU_R2T:
                cccid, ttag, r2to, r2tl = struct.unpack("<HHII", hdr[8:20])
                self.h2c(cccid, ttag, write_data[r2to:r2to + r2tl], r2to)
                continue
            if ptype == PDU_RESP:
                dw0, dw1, sqhd, sqid, cid, status = struct.unpack("<IIHHHH", hdr[8:24])
                assert cid == self.cid, "response for cid %d, sent %d" % (cid, self.cid)
                return status >> 1, dw0, dw1, got
            raise AssertionError("unexpected PDU type %d" % ptype)

    def h2c(self, cccid, ttag, data, offset):
        step = self.maxh2cdata
        for off in range(0, len(data), step):
            chunk = data[off:off + step]
            last = FLAG_LAST if off + step >= len(data) else 0
            psh = struct.pack("<HHIII", cccid, ttag, offset + off, len(chunk), 0)
            self.send_pdu(PDU_H2C_DATA, psh, chunk, flags=last)

    def connect(self, subnqn, qid=0, cntlid=0xFFFF, hostnqn=HOSTNQN, sqsize=31):
        data = bytearray(1024)
        data[0:16] = bytes(range(16))
        struct.pack_into("<H", data, 16, cntlid)
        data[256:256 + len(subnqn)] = subnqn.encode()
        data[512:512 + len(hostnqn)] = hostnqn.encode()
        cdw = (qid << 16, sqsize, 0 if qid else 10000, 0, 0, 0)
        sqe = self.sqe(0x7F, addr=0, length=1024, sgl_type=SGL_OFFSET, cdw=cdw, byte4=1)
        return self.command(sqe, icd=bytes(data))

    def prop_get(self, ofst, size8):
        sqe = self.sqe(0x7F, cdw=(1 if size8 else 0, ofst, 0, 0, 0, 0), byte4=4)
        status, dw0, dw1, _ = self.command(sqe)
        assert status == 0, "Property Get 0x%x: status 0x%x" % (ofst, status)
        return dw0 | dw1 << 32

    def prop_set(self, ofst, value):
        sqe = self.sqe(0x7F, cdw=(0, ofst, value, 0, 0, 0), byte4=0)
        status, _, _, _ = self.command(sqe)
        assert status == 0, "Property Set 0x%x: status 0x%x" % (ofst, status)

    def identify(self, cns, nsid=0):
        sqe = self.sqe(0x06, nsid=nsid, length=4096, cdw=(cns, 0, 0, 0, 0, 0))
        status, _, _, data = self.command(sqe)
        return status, data

    def write(self, nsid, lba, data, block=512, in_capsule=False):
        nlb = len(data) // block - 1
        cdw = (lba & 0xFFFFFFFF, lba >> 32, nlb, 0, 0, 0)
        if in_capsule:
            sqe = self.sqe(0x01, nsid, 0, len(data), SGL_OFFSET, cdw)
            return self.command(sqe, icd=data)[0]
        sqe = self.sqe(0x01, nsid, 0, len(data), SGL_TRANSPORT, cdw)
        return self.command(sqe, write_data=data)[0]

    def read(self, nsid, lba, length, block=512):
        nlb = length // block - 1
        sqe = self.sqe(0x02, nsid, 0, length, SGL_TRANSPORT,
                       (lba & 0xFFFFFFFF, lba >> 32, nlb, 0, 0, 0))
        status, _, _, data = self.command(sqe)
        return status, data


failures = 0


def check(what, ok):
    global failures
    print(("ok     " if ok else "FAILED ") + what)
    if not ok:
        failures += 1


def admin_up(addr, port, subnqn, hdgst=False, ddgst=False):
    """An enabled controller's admin queue; returns (host, cntlid)."""
    h = Host(addr, port, hdgst, ddgst)
    h.icreq()
    status, dw0, _, _ = h.connect(subnqn)
    assert status == 0, "admin Connect: status 0x%x" % status
    cntlid = dw0 & 0xFFFF
    h.prop_set(0x14, 0x460001)  # CC: EN, IOSQES 6, IOCQES 4
    assert h.prop_get(0x1C, False) & 1, "CSTS.RDY not set after CC.EN"
    return h, cntlid


def scenario_io(addr, port, subnqn, digests):
    admin, cntlid = admin_up(addr, port, subnqn, digests, digests)
    cap = admin.prop_get(0x0, True)
    check("CAP.MQES is 127 (max_queue_depth 128)", cap & 0xFFFF == 127)
    check("VS is 1.3", admin.prop_get(0x8, False) == 0x10300)
    status, cd = admin.identify(1)
    check("Identify Controller succeeds", status == 0 and len(cd) == 4096)
    check("  the serial number is the subsystem's", cd[4:24].rstrip() == b"USK0001")
    check("  SUBNQN names the subsystem", cd[768:1024].rstrip(b"\0").decode() == subnqn)
    status, nslist = admin.identify(2)
    nsids = [n for n in struct.unpack("<1024I", nslist) if n]
    check("the active namespace list is [1]", status == 0 and nsids == [1])
    status, nsd = admin.identify(0, nsid=1)
    nsze = struct.unpack("<Q", nsd[0:8])[0]
    check("Identify Namespace 1: 65536 blocks of 512 bytes",
          status == 0 and nsze == 65536 and nsd[128 + 2] == 9)
    io = Host(addr, port, digests, digests)
    io.icreq()
    status, _, _, _ = io.connect(subnqn, qid=1, cntlid=cntlid, sqsize=127)
    check("an I/O queue connects to controller %d" % cntlid, status == 0)
    small = bytes((i * 7 + 3) & 0xFF for i in range(4096))
    big = bytes((i * 13 + 1) & 0xFF for i in range(65536))
    check("a 4 KiB write with in-capsule data succeeds",
          io.write(1, 0, small, in_capsule=True) == 0)
    check("a 64 KiB write through R2T and H2CData succeeds", io.write(1, 64, big) == 0)
    status, back = io.read(1, 0, 4096)
    check("  the 4 KiB read back is what was written", status == 0 and back == small)
    status, back = io.read(1, 64, 65536)
    check("  the 64 KiB read back is what was written", status == 0 and back == big)
    status, _ = io.read(1, 65536, 512)
    check("a read past the end fails with LBA Out of Range", status == 0x80)
    status, _ = io.read(2, 0, 512)
    check("a read of namespace 2 fails with Invalid Namespace", status == 0x0B)
    io.close()
    admin.close()


def scenario_denied(addr, port, subnqn, hostnqn):
    h = Host(addr, port)
    h.icreq()
    status, _, _, _ = h.connect(subnqn, hostnqn=hostnqn)
    check("a host not on the list gets Connect Invalid Host (SCT 1, SC 0x84)",
          status == (1 << 8 | 0x84))
    h.close()


def expect_term(h, want_fes, what):
    """The target answers with a C2HTermReq naming @want_fes, then closes."""
    try:
        ptype, _, hdr, _ = h.recv_pdu()
        fes = struct.unpack("<H", hdr[8:10])[0]
        ok = ptype == PDU_C2H_TERM and fes == want_fes
        try:
            h.recv_pdu()
            ok = False
        except (Closed, ConnectionResetError):
            pass
    except (Closed, ConnectionResetError):
        ok = False
    check(what, ok)
    h.close()


def still_serves(admin, what):
    status, _ = admin.identify(1)
    check(what, status == 0)


def scenario_malformed(addr, port, subnqn):
    admin, _ = admin_up(addr, port, subnqn)
    # A CapsuleCmd header whose HLEN is not 72.
    h = Host(addr, port)
    h.icreq()
    h.sock.sendall(struct.pack("<BBBBI", PDU_CMD, 0, 40, 0, 48) + bytes(40))
    expect_term(h, 1, "a CapsuleCmd with HLEN 40 ends its connection (Invalid Header Field)")
    still_serves(admin, "  another connection still gets answers")
    # Data said to be 1 MiB in a capsule: beyond what the target takes.
    h = Host(addr, port)
    h.icreq()
    h.sock.sendall(struct.pack("<BBBBI", PDU_CMD, 0, 72, 72, 72 + (1 << 20)) + bytes(64))
    expect_term(h, 5, "a capsule longer than the target's buffers ends its connection "
                      "(Data Transfer Limit Exceeded)")
    still_serves(admin, "  another connection still gets answers")
    # A header digest that does not match.
    h = Host(addr, port, hdgst=True)
    h.icreq()
    h.send_pdu(PDU_CMD, h.sqe(0x06, length=4096, cdw=(1, 0, 0, 0, 0, 0)), bad_hdgst=True)
    expect_term(h, 3, "a wrong header digest ends its connection (Header Digest Error)")
    still_serves(admin, "  another connection still gets answers")
    # A header cut short, then the host goes.
    h = Host(addr, port)
    h.icreq()
    h.sock.sendall(struct.pack("<BBBB", PDU_CMD, 0, 72, 0))
    h.close()
    still_serves(admin, "a connection that ends inside a header leaves the others alone")
    # H2CData nobody asked for.
    h = Host(addr, port)
    h.icreq()
    h.send_pdu(PDU_H2C_DATA, struct.pack("<HHIII", 1, 77, 0, 512, 0), bytes(512),
               flags=FLAG_LAST)
    expect_term(h, 1, "H2CData for no R2T ends its connection (Invalid Header Field)")
    still_serves(admin, "  another connection still gets answers")
    admin.close()


def main():
    addr, port, subnqn, scenario = sys.argv[1:5]
    if scenario == "io":
        scenario_io(addr, port, subnqn, False)
    elif scenario == "io-digests":
        scenario_io(addr, port, subnqn, True)
    elif scenario == "denied":
        scenario_denied(addr, port, subnqn, sys.argv[5])
    elif scenario == "malformed":
        scenario_malformed(addr, port, subnqn)
    else:
        sys.exit("unknown scenario " + scenario)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
