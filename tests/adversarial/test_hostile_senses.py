"""What a hostile member tries against the OCR, speech and translation services of a node:
images and PDFs built to exhaust it (a pixel bomb, a compression bomb, garbage), more calls at
once than its share, calls the node would have to route on, a reading stored in the node's
name, and a reading of its own planted on another member's photo. Each is refused or ignored;
the node serves on."""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, Any

import pytest

from hearthnet.domain import ocr
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from tests.integration.test_e2e_keys import eventually, running
from tests.integration.test_governance import join, write
from tests.integration.test_ocr import ENGLISH, rendered, scanned_pdf

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime


def pixel_bomb(path: Path) -> None:
    """A PNG of 20,000 x 20,000 pixels in a few kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = zlib.compressobj(9)
    data = b"".join(rows.compress(b"\0" * 2501) for _ in range(20_000)) + rows.flush()
    header = struct.pack(">IIBBBBB", 20_000, 20_000, 1, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
    path.write_bytes(png + chunk(b"IEND", b""))


def pdf_bomb(path: Path) -> None:
    """A one-page PDF whose drawing inflates from 3 MB to 1.5 GB."""
    packer = zlib.compressobj(6)
    ops = b"0 0 m 1 1 l S\n" * 75_000
    stream = b"".join(packer.compress(ops) for _ in range(1500)) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (5, xref)
    path.write_bytes(bytes(out))


async def refusal(call: Awaitable[Any]) -> BusError:
    with pytest.raises(BusError) as refused:
        await call
    return refused.value


async def put(runtime: NodeRuntime, path: Path) -> str:
    stored = await runtime.local_bus().call("file.put", {"path": str(path), "pin": False})
    return str(stored["id"])


async def test_bombs_and_garbage_are_refused_and_the_node_reads_on(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        mallory = await join(runtime, 71, "Mallory")
        bus = runtime.bus
        files = {
            "empty.png": b"",
            "garbage.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
        }
        for name, data in files.items():
            (tmp_path / name).write_bytes(data)
        pixel_bomb(tmp_path / "bomb.png")
        pdf_bomb(tmp_path / "bomb.pdf")
        for name in ("empty.png", "garbage.png", "bomb.png"):
            cid = await put(runtime, tmp_path / name)
            answer = await refusal(
                bus.call("ocr.image", mallory.id, "member", {}, {"image_cid": cid})
            )
            assert answer.code == "bad_request" and "image" in answer.message, name
            assert "/tmp" not in answer.message, "no path of the node is told"
        bomb = await put(runtime, tmp_path / "bomb.pdf")
        frames = [
            f async for f in bus.stream("ocr.pdf", mallory.id, "trusted", {}, {"doc_cid": bomb})
        ]
        assert frames[-1][0] == "error" and frames[-1][1]["error"] == "bad_request"
        assert "not a readable PDF" in frames[-1][1]["message"]
        too_many = {"doc_cid": bomb, "page_range": [1, 51]}
        refused = [f async for f in bus.stream("ocr.pdf", mallory.id, "trusted", {}, too_many)]
        assert refused[-1][1]["error"] == "bad_request" and "50 pages" in refused[-1][1]["message"]

        rendered(ENGLISH).save(tmp_path / "notice.png")
        good = await put(runtime, tmp_path / "notice.png")
        read = await bus.call("ocr.image", mallory.id, "member", {}, {"image_cid": good})
        assert "fire station" in read["output"]["text"], "the node reads on"
        assert not await runtime.reader.query("SELECT * FROM ocr_texts", {})


async def first_frame(frames: AsyncGenerator[tuple[str, Any], None]) -> tuple[str, Any]:
    async for frame in frames:
        return frame
    raise AssertionError("no frame")


async def test_a_member_gets_its_share_of_calls_and_never_more(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        mallory = await join(runtime, 72, "Mallory")
        path = tmp_path / "manual.pdf"
        scanned_pdf(path)
        doc = await put(runtime, path)

        def reading(**extra: Any) -> AsyncGenerator[tuple[str, Any], None]:
            data = {"doc_cid": doc, "force_ocr": True, **extra}
            return runtime.bus.stream("ocr.pdf", mallory.id, "trusted", {}, data)

        held = [reading(), reading()]
        for stream in held:
            assert (await first_frame(stream))[0] == "start"
        third = [f async for f in reading()]
        assert third[-1][1]["error"] == "rate_limited"
        own = [f async for f in runtime.local_bus().stream("ocr.pdf", {"doc_cid": doc})]
        assert own[-1][0] == "done", "the operator is served all along"
        for stream in held:
            await stream.aclose()
        stored = [f async for f in reading(store_text=True)]
        assert stored[-1][0] == "done" and "stored_cid" not in stored[-1][1]
        assert not await runtime.reader.query("SELECT * FROM ocr_texts", {}), (
            "a member's call signs nothing in the node's name"
        )


async def test_a_member_cannot_have_the_node_route_for_it(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        mallory = await join(runtime, 73, "Mallory")
        bus = runtime.bus
        german = {"text": "Good morning", "to": "de", "from": "en"}
        answer = await refusal(bus.call("trans.text", mallory.id, "member", {}, german))
        assert answer.code == "unsupported_language_pair"
        rendered(["Hello"]).save(tmp_path / "hello.png")
        cid = await put(runtime, tmp_path / "hello.png")
        params = {"languages": ["tlh"]}
        klingon = await refusal(
            bus.call("ocr.image", mallory.id, "member", params, {"image_cid": cid})
        )
        assert klingon.code == "not_found"
        for voice in ("../../../etc/passwd", "/etc/shadow", "-x"):
            spoken = {"text": "Hallo", "language": "de", "voice": voice}
            weird = await refusal(bus.call("tts.synthesize", mallory.id, "member", {}, spoken))
            assert weird.code == "bad_request", voice
        sealed = {"image_cid": cid, "key": "AAAA"}
        keyed = await refusal(bus.call("ocr.image", mallory.id, "member", {}, sealed))
        assert keyed.code == "bad_request" and "sealed" in keyed.message


async def test_a_reading_planted_on_another_members_photo_is_not_searched(
    tmp_path: Path,
) -> None:
    async with running(tmp_path / "node") as runtime:
        mallory = await join(runtime, 74, "Mallory")
        rendered(["Sandbags at the Kolpinghaus"]).save(tmp_path / "notice.png")
        stored = await runtime.local_bus().call("file.put", {"path": str(tmp_path / "notice.png")})
        photo = {"cid": stored["id"], "name": "notice.png", "media_type": "image/png"}
        post = {"client_id": "p1", "category": "info", "title": "Notice", "body": "See photo"}
        await runtime.local_bus().call("market.post", {**post, "attachments": [photo]})
        planted = ocr.Indexed(doc_cid=stored["id"], pages=1, excerpt="free beer at the townhall")
        await write(runtime, mallory, ocr.INDEXED, encode_body(planted))

        async def searched(word: str) -> list[Any]:
            found = await runtime.local_bus().call("market.search", {"query": word})
            return list(found["posts"])

        await eventually(lambda: searched("kolpinghaus"), "the author's own reading counts")
        assert not await searched("townhall"), "another member's reading is not the post's text"
