"""Forward-only decompressing reader with every unpacked byte counted, so a bomb stops at the limit."""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import Any

from douane.archive.interface import Sink
from douane.archive.source import FileBytes

IN_CHUNK = 64 * 1024  # compressed bytes fed per step
OUT_CHUNK = 64 * 1024  # least unpacked bytes produced per step
OUT_MAX = 1 << 20  # most unpacked bytes produced per step, so limits are checked that often
MAGIC = {"gz": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ\x00"}
RAW_CODECS = ("bz2-single", "lzma-raw")  # one stream, no magic (zip members)


class CorruptStream(Exception):
    """The compressed stream is truncated or damaged."""


class Inflater:
    """A read-only stream over compressed bytes (in memory or on disk), for tarfile's ``r|`` mode.

    Decompresses only as far as reads require (the rest of the input waits), reports every
    unpacked byte to the sink (which enforces total size, ratio and deadline) in steps of at
    most ``OUT_MAX``, and reads concatenated streams (multi-member gzip) as gzip and tar do.
    Codec "tar" serves plain tar bytes with the same accounting. tarfile's own decompression
    is not used because it would not apply these limits while inflating.
    """

    def __init__(
        self,
        data: bytes | memoryview | FileBytes,
        codec: str,
        sink: Sink,
        *,
        compressed_total: int | None = None,
        filters: list[dict[str, Any]] | None = None,
    ) -> None:
        if codec not in MAGIC and codec not in RAW_CODECS and codec != "tar":
            raise ValueError(f"unknown codec {codec!r}")
        self._data = data if isinstance(data, FileBytes) else memoryview(data)
        self._codec = codec
        self._sink = sink
        self._compressed_total = compressed_total  # ratio base when this is one zip member
        self._filters = filters
        self._in = 0  # compressed input fed so far
        self._done = False
        self._dec: Any = self._new() if codec != "tar" else None
        self._buf = b""  # unpacked, not yet read
        self._off = 0

    def _new(self) -> Any:
        codec = self._codec
        if codec == "gz":
            return zlib.decompressobj(31)
        if codec in ("bz2", "bz2-single"):
            return bz2.BZ2Decompressor()
        if codec == "lzma-raw":
            return lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=self._filters)
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)

    # --- reading ------------------------------------------------------------------------------

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self.read(1 << 20):
                parts.append(chunk)
            return b"".join(parts)
        buf, off = self._buf, self._off
        if len(buf) - off >= n:
            self._off = off + n
            return buf[off : off + n]
        parts = [buf[off:]]
        got = len(buf) - off
        self._buf, self._off = b"", 0
        while got < n:
            chunk = self._produce(min(max(n - got, OUT_CHUNK), OUT_MAX))
            if not chunk:
                break
            take = n - got
            if len(chunk) > take:
                parts.append(chunk[:take])
                self._buf, self._off = chunk, take
                got = n
            else:
                parts.append(chunk)
                got += len(chunk)
        return b"".join(parts)

    # --- decompression ---------------------------------------------------------------------

    def consumed(self) -> int:
        """Compressed bytes used so far (the ratio's denominator)."""
        if self._codec == "gz":
            return self._in - len(self._dec.unconsumed_tail)
        return self._in

    def _produce(self, n: int) -> bytes:
        """Up to ``n`` more unpacked bytes, counted against the limits; b"" at the end."""
        if self._dec is None:
            out = bytes(self._data[self._in : self._in + n])
            self._in += len(out)
            if out:
                self._sink.account(len(out))
            return out
        out = self._inflate(n)
        if out:
            self._sink.account(len(out), self._compressed_total or self.consumed())
        return out

    def _take(self) -> memoryview:
        chunk = self._data[self._in : self._in + IN_CHUNK]
        self._in += len(chunk)
        return chunk

    def _inflate(self, n: int) -> bytes:
        while not self._done:
            dec = self._dec
            if self._codec == "gz":
                fed = dec.unconsumed_tail or self._take()
            else:
                fed = self._take() if dec.needs_input else b""
            out = dec.decompress(fed, n)
            if dec.eof:
                self._next_stream(dec.unused_data)
            if out:
                return out
            if not fed and not dec.eof:
                raise CorruptStream(f"compressed stream is truncated after {self._in} bytes")
        return b""

    def _next_stream(self, unused: bytes) -> None:
        """After one stream ends: start the next concatenated one, or stop (trailing padding)."""
        self._in -= len(unused)
        magic = MAGIC.get(self._codec)
        if magic and self._data[self._in : self._in + len(magic)] == magic:
            self._dec = self._new()
        else:
            self._done = True
