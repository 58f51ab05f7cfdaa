"""A frame with a blob of many parts (a checkpoint of many small arrays) is written whole and in order,
in batches of writev() calls, through a pipe whose reader drains it slowly (short writes)."""
from __future__ import annotations

import os
import threading
import unittest

from _runner import load_module

framing = load_module("framing")
msgpack = load_module("msgpack")


class BlobPartsTest(unittest.TestCase):
    def test_many_parts_of_every_size_arrive_whole_and_in_order(self) -> None:
        parts = [bytes([i % 251]) * ((i * 37) % 5003) for i in range(5000)]  # empty parts among them
        read_fd, write_fd = os.pipe()
        received = bytearray()

        def drain() -> None:
            while True:
                chunk = os.read(read_fd, 4096)  # small reads: the writer meets a full pipe, short writes
                if not chunk:
                    return
                received.extend(chunk)

        reader = threading.Thread(target=drain)
        reader.start()
        try:
            framing.FrameWriter(write_fd).send_with_blob({"t": "reply"}, [memoryview(p) for p in parts])
        finally:
            os.close(write_fd)
            reader.join(timeout=60)
            os.close(read_fd)
        length = int.from_bytes(received[:4], "big")
        message = msgpack.unpackb(bytes(received[4:4 + length]))
        blob = b"".join(parts)
        self.assertEqual(message["blob"], len(blob))
        self.assertEqual(bytes(received[4 + length:]), blob)


if __name__ == "__main__":
    unittest.main()
