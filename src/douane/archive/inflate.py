"""Streaming decompression with every unpacked byte counted, so a bomb stops at the limit."""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import Any

from douane.archive.interface import Sink

IN_CHUNK = 64 * 1024
DEFAULT_READ = 1 << 20
MAGIC = {"gz": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ\x00"}


class CorruptStream(Exception):
    """The compressed stream is truncated or damaged."""


class Inflater:
    """A read-only file object over compressed bytes in memory, for ``tarfile``'s stream mode.

    Decompresses at most what each ``read`` asks for (the rest of the input waits), reports
    every output byte to the sink (which enforces total size, ratio and deadline), and reads
    concatenated streams (multi-member gzip) the way ``gzip``/``tar`` do. Codec "tar" passes
    plain tar bytes through with the same accounting.
    """

    def __init__(self, data: bytes, codec: str, sink: Sink) -> None:
        if codec not in MAGIC and codec != "tar":
            raise ValueError(f"unknown codec {codec!r}")
        self._data = memoryview(data)
        self._codec = codec
        self._sink = sink
        self._pos = 0  # input fed to the decompressor so far
        self._done = False
        self._dec: Any = self._new() if codec != "tar" else None

    def _new(self) -> Any:
        if self._codec == "gz":
            return zlib.decompressobj(31)
        if self._codec == "bz2":
            return bz2.BZ2Decompressor()
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)

    def consumed(self) -> int:
        """Compressed bytes used so far (the ratio's denominator)."""
        if self._codec == "gz":
            return self._pos - len(self._dec.unconsumed_tail)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = DEFAULT_READ
        if n == 0:
            return b""
        if self._dec is None:
            out = bytes(self._data[self._pos : self._pos + n])
            self._pos += len(out)
            if out:
                self._sink.account(len(out))
            return out
        out = self._inflate(n)
        if out:
            self._sink.account(len(out), self.consumed())
        return out

    def _take(self) -> memoryview:
        chunk = self._data[self._pos : self._pos + IN_CHUNK]
        self._pos += len(chunk)
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
                raise CorruptStream(f"compressed stream is truncated after {self._pos} bytes")
        return b""

    def _next_stream(self, unused: bytes) -> None:
        """After one stream ends: start the next concatenated one, or stop (trailing padding)."""
        self._pos -= len(unused)
        if self._data[self._pos : self._pos + len(MAGIC[self._codec])] == MAGIC[self._codec]:
            self._dec = self._new()
        else:
            self._done = True
