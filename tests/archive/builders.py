"""Builds small inert archives (and hostile ones) for the archive reader's tests."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

MiB = 2**20

SETUP_PY = b"from setuptools import setup\nsetup(name='pkg', version='1.0')\n"
INIT_PY = b"VERSION = '1.0'\n"
PKG_INFO = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"


def tar_bytes(
    files: Iterable[tuple[str, bytes]] = (),
    *,
    mode: str = "w:gz",
    extra: Iterable[tarfile.TarInfo] = (),
    exec_names: Iterable[str] = (),
) -> bytes:
    """A tar archive in memory: regular files, then any hand-made entries (links, devices)."""
    execs = set(exec_names)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name in execs else 0o644
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return buf.getvalue()


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    """A non-regular tar entry (symlink, hard link, device, FIFO)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def zip_bytes(
    files: Iterable[tuple[str, bytes]] = (),
    *,
    links: Iterable[tuple[str, str]] = (),
    modes: dict[str, int] | None = None,
) -> bytes:
    """A deflated zip in memory; ``links`` become Info-ZIP symlinks, ``modes`` set unix modes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((modes or {}).get(name, 0o100644)) << 16
            zf.writestr(info, data)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            zf.writestr(info, target)
    return buf.getvalue()


def sdist_files(root: str = "pkg-1.0") -> list[tuple[str, bytes]]:
    return [
        (f"{root}/PKG-INFO", PKG_INFO),
        (f"{root}/setup.py", SETUP_PY),
        (f"{root}/pkg/__init__.py", INIT_PY),
    ]


def wheel_files() -> list[tuple[str, bytes]]:
    return [
        ("pkg/__init__.py", INIT_PY),
        ("pkg-1.0.dist-info/METADATA", PKG_INFO),
        ("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"),
        ("pkg-1.0.dist-info/RECORD", b"pkg/__init__.py,,\n"),
    ]


# --- bombs, built by streaming so the test never holds the unpacked size in memory ---------


def tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def write_gzip_tar_bomb(path: Path, members: int, member_size: int) -> int:
    """A .tar.gz of ``members`` files of zeros, written as concatenated gzip streams (valid
    for gzip, tar and pip alike). Returns the unpacked size. Each MiB of zeros is one ~1 KiB
    gzip stream, so a GiB costs a MiB on disk and no memory."""
    assert member_size % MiB == 0
    zeros = gzip.compress(b"\0" * MiB, compresslevel=9)
    with path.open("wb") as out:
        for i in range(members):
            out.write(gzip.compress(tar_header(f"bomb-1.0/zeros{i}.bin", member_size)))
            for _ in range(member_size // MiB):
                out.write(zeros)
        out.write(gzip.compress(b"\0" * 1024))  # end-of-archive blocks
    return members * (member_size + 512) + 1024


def write_gzip_of_zeros(path: Path, size: int) -> None:
    """Plain gzip of zeros (no tar inside), streamed."""
    zeros = gzip.compress(b"\0" * MiB, compresslevel=9)
    with path.open("wb") as out:
        for _ in range(size // MiB):
            out.write(zeros)


def zip_of_zeros(path: Path, members: int, member_size: int) -> None:
    """An honest zip whose directory declares a very high compression ratio."""
    chunk = b"\0" * MiB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i in range(members):
            with zf.open(f"bomb/zeros{i}.bin", "w", force_zip64=True) as f:
                for _ in range(member_size // MiB):
                    f.write(chunk)


def lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """Rewrite a zip member's uncompressed size in both its local header and the central
    directory, so the headers claim ``declared`` bytes while the stream inflates to more."""
    out = bytearray(data)
    encoded = name.encode()
    local = _find_header(out, b"PK\x03\x04", 26, encoded)
    struct.pack_into("<I", out, local + 22, declared)
    central = _find_header(out, b"PK\x01\x02", 28, encoded)
    struct.pack_into("<I", out, central + 24, declared)
    return bytes(out)


def _find_header(buf: bytearray, sig: bytes, name_len_at: int, name: bytes) -> int:
    pos = 0
    while (pos := buf.find(sig, pos)) >= 0:
        (nlen,) = struct.unpack_from("<H", buf, pos + name_len_at)
        start = pos + (30 if sig == b"PK\x03\x04" else 46)
        if nlen == len(name) and bytes(buf[start : start + nlen]) == name:
            return pos
        pos += 4
    raise AssertionError(f"header for {name!r} not found")


def overlapping_zip(copies: int, member_size: int) -> bytes:
    """A zip whose central directory lists the same deflated member ``copies`` times: tiny on
    disk, huge once unpacked (the overlapping-entries bomb)."""
    one = io.BytesIO()
    with zipfile.ZipFile(one, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb/zeros.bin", b"\0" * member_size)
    raw = one.getvalue()
    cd_at = raw.find(b"PK\x01\x02")
    eocd_at = raw.rfind(b"PK\x05\x06")
    central = raw[cd_at:eocd_at]
    body = raw[:cd_at] + central * copies
    eocd = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, copies, copies, len(central) * copies, cd_at, 0
    )
    return body + eocd


# --- ZipCrypto (the dataset's "infected" password zips); zipfile can read but not write it --


def _crc_byte(crc: int, byte: int) -> int:
    return ~zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) & 0xFFFFFFFF


class _ZipCrypto:
    def __init__(self, password: bytes) -> None:
        self.keys = [0x12345678, 0x23456789, 0x34567890]
        for b in password:
            self._update(b)

    def _update(self, b: int) -> None:
        k0, k1, k2 = self.keys
        k0 = _crc_byte(k0, b)
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = _crc_byte(k2, k1 >> 24)
        self.keys = [k0, k1, k2]

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            t = (self.keys[2] | 2) & 0xFFFF
            out.append(b ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(b)
        return bytes(out)


def encrypted_zip(
    entries: Iterable[tuple[str, bytes]],
    password: bytes,
    *,
    plain: Iterable[tuple[str, bytes]] = (),
) -> bytes:
    """A zip holding ZipCrypto-encrypted stored members (plus optional plain ones)."""
    body = bytearray()
    central = bytearray()
    count = 0
    items = [(n, d, True) for n, d in entries] + [(n, d, False) for n, d in plain]
    for name, data, secret in items:
        crc = zlib.crc32(data)
        payload = data
        flags = 0
        if secret:
            header = os.urandom(11) + bytes([crc >> 24])
            payload = _ZipCrypto(password).encrypt(header + data)
            flags = 1
        encoded = name.encode()
        offset = len(body)
        body += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, flags, 0, 0, 0, crc, len(payload), len(data),
            len(encoded), 0,
        )  # fmt: skip
        body += encoded + payload
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 0, 0, 0, crc, len(payload), len(data),
            len(encoded), 0, 0, 0, 0, 0o100644 << 16, offset,
        )  # fmt: skip
        central += encoded
        count += 1
    # Over 65535 entries needs the zip64 end records; the classic one then says 0xFFFF.
    z64_at = len(body) + len(central)
    z64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), len(body)
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, z64_at, 1)
    short = min(count, 0xFFFF)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, short, short, len(central), len(body), 0)
    return bytes(body + central + z64 + locator + eocd)


def many_member_tar(count: int) -> bytes:
    """A plain tar of ``count`` empty files, headers patched in place (tarfile would take
    seconds to write them one by one)."""
    base = bytearray(tarfile.TarInfo("m/0000000").tobuf(format=tarfile.USTAR_FORMAT))
    out = bytearray()
    for i in range(count):
        header = bytearray(base)
        header[2:9] = b"%07d" % i
        header[148:156] = b" " * 8
        header[148:155] = b"%06o\0" % sum(header)
        out += header
    return bytes(out + bytes(1024))


def many_member_zip(count: int) -> bytes:
    """A stored zip of ``count`` empty files, written with struct (zipfile is slow at this)."""
    body = bytearray()
    central = bytearray()
    for i in range(count):
        name = b"m/%07d" % i
        offset = len(body)
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0)
        body += name
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0,
            0o100644 << 16, offset,
        )  # fmt: skip
        central += name
    # Over 65535 entries needs the zip64 end records; the classic one then says 0xFFFF.
    z64_at = len(body) + len(central)
    z64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), len(body)
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, z64_at, 1)
    short = min(count, 0xFFFF)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, short, short, len(central), len(body), 0)
    return bytes(body + central + z64 + locator + eocd)


def longname_chain_tar(links: int) -> bytes:
    """A tar whose first member hides behind ``links`` chained GNU long-name headers, which
    tarfile resolves recursively (a RecursionError, not a crash, is the expected outcome)."""
    out = bytearray()
    for _ in range(links):
        info = tarfile.TarInfo("././@LongLink")
        info.type = tarfile.GNUTYPE_LONGNAME
        name = b"pkg-1.0/" + b"n" * 100 + b"\0"
        info.size = len(name)
        out += info.tobuf(format=tarfile.GNU_FORMAT)
        out += name + bytes(-len(name) % 512)
    out += tar_header("pkg-1.0/x.py", 0)
    return bytes(out + bytes(1024))
