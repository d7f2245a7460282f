#!/usr/bin/env python3
"""Writes reference_creds.bin: a 0x4000-byte NVS image (format version 2) for the rows in
reference_creds.csv, derived from the ESP-IDF NVS format description ("NVS internals" in
components/nvs_flash) and the page rules of nvs_partition_gen.py, written independently of
Stratus's C++ writer. Run it again to check the committed file: python3 make_reference.py.

The rows (namespace rmaker_creds, then in order):
  node_id      data/binary  "T2uNDXPMS9nj9vpKjs2QG8"          blob, 22 bytes
  mqtt_host    data/binary  "a1b2c3-ats.iot.example.com"       blob, 26 bytes
  mqtt_cred_host data/binary ""                                empty blob
  boot_count   data/u8      7
  offset       data/i32     -2
  label        data/string  "factory"                          string + NUL
  client_cert  file/binary  3000 bytes of pattern A            blob, fills most of page 0
  client_key   file/binary  1700 bytes of pattern B            blob, split over pages 0/1
  random       data/hex2bin 64 bytes 00..3f                    blob
"""
import struct
import zlib

PAGE, ENTRY, ENTRIES = 4096, 32, 126


def crc(data: bytes) -> int:
    # NVS CRC32: zlib's crc32 seeded with 0xFFFFFFFF (a zero register, inverted at the end).
    return zlib.crc32(data, 0xFFFFFFFF) & 0xFFFFFFFF


class Image:
    def __init__(self, size):
        self.data_pages = size // PAGE - 1  # the last page stays erased
        self.pages = []
        self.used = 0
        self.open_page()

    def open_page(self):
        if self.pages:
            self.pages[-1][0:4] = struct.pack('<I', 0xFFFFFFFC)  # FULL
        if len(self.pages) == self.data_pages:
            return False
        p = bytearray(b'\xff' * PAGE)
        # header: state ACTIVE, sequence number, version 0xFE, CRC32 of bytes 4..28 at 28
        p[0:4] = struct.pack('<I', 0xFFFFFFFE)
        p[4:8] = struct.pack('<I', len(self.pages))
        p[8] = 0xFE
        p[28:32] = struct.pack('<I', crc(bytes(p[4:28])))
        self.pages.append(p)
        self.used = 0
        return True

    def put(self, raw: bytes, count: int):
        p = self.pages[-1]
        at = 64 + ENTRY * self.used
        p[at:at + len(raw)] = raw
        for _ in range(count):
            bit = 2 * self.used
            p[32 + bit // 8] &= ~(1 << (bit % 8)) & 0xFF  # state 11 -> 10 (written)
            self.used += 1

    @staticmethod
    def header(ns, typ, span, chunk, key, data8: bytes):
        e = bytearray(b'\xff' * 32)
        e[0], e[1], e[2], e[3] = ns, typ, span, chunk
        e[8:24] = key.encode().ljust(16, b'\0')
        e[24:32] = data8
        e[4:8] = struct.pack('<I', crc(bytes(e[0:4] + e[8:32])))
        return bytes(e)

    def primitive(self, ns, typ, key, packed: bytes):
        if self.used >= ENTRIES:
            self.open_page()
        self.put(self.header(ns, typ, 1, 0xFF, key, packed.ljust(8, b'\xff')), 1)

    def string(self, ns, key, text: str):
        data = text.encode() + b'\0'
        n = (len(data) + 31) // 32
        if self.used + n + 1 >= ENTRIES:
            self.open_page()
        d8 = struct.pack('<H', len(data)) + b'\xff\xff' + struct.pack('<I', crc(data))
        self.put(self.header(ns, 0x21, n + 1, 0xFF, key, d8), 1)
        self.put(data, n)

    def blob(self, ns, key, data: bytes):
        if self.used >= ENTRIES:
            self.open_page()
        chunks, offset = 0, 0
        while True:
            room = (ENTRIES - self.used - 1) * ENTRY
            piece = data[offset:offset + room]
            n = (len(piece) + 31) // 32
            d8 = struct.pack('<H', len(piece)) + b'\xff\xff' + struct.pack('<I', crc(piece))
            self.put(self.header(ns, 0x42, n + 1, chunks, key, d8), 1)
            self.put(piece, n)
            chunks += 1
            offset += len(piece)
            if offset < len(data) or room - len(piece) < ENTRY:
                assert self.open_page(), 'partition too small'
            if offset >= len(data):
                break
        d8 = struct.pack('<I', len(data)) + bytes([chunks, 0]) + b'\xff\xff'
        self.put(self.header(ns, 0x48, 1, 0xFF, key, d8), 1)

    def finish(self):
        while self.open_page():
            pass
        return b''.join(bytes(p) for p in self.pages) + b'\xff' * PAGE


def pattern(n, seed):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


img = Image(0x4000)
img.primitive(0, 0x01, 'rmaker_creds', bytes([1]))  # namespace 1
img.blob(1, 'node_id', b'T2uNDXPMS9nj9vpKjs2QG8')
img.blob(1, 'mqtt_host', b'a1b2c3-ats.iot.example.com')
img.blob(1, 'mqtt_cred_host', b'')
img.primitive(1, 0x01, 'boot_count', bytes([7]))
img.primitive(1, 0x14, 'offset', struct.pack('<i', -2))
img.string(1, 'label', 'factory')
img.blob(1, 'client_cert', pattern(3000, 1))
img.blob(1, 'client_key', pattern(1700, 2))
img.blob(1, 'random', bytes(range(64)))
out = img.finish()
assert len(out) == 0x4000
import os
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'reference_creds.bin')
if os.path.exists(path) and open(path, 'rb').read() != out:
    raise SystemExit('reference_creds.bin differs from what this script derives')
open(path, 'wb').write(out)
print('ok', path)
