"""Uploads (multipart), file_id reuse, getFile and the download URL, both directions."""

from __future__ import annotations

import struct
import zlib

import pytest
from telegram import Bot
from telegram.error import BadRequest

from sandbox import SandboxClient


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return b"\x89PNG\r\n\x1a\n" + ihdr


async def test_document_round_trip(bot: Bot, client: SandboxClient) -> None:
    user = client.user(5)
    await user.send("/export")
    csv = b"name,shift\nAna,Sat 08:00\n"
    sent = await bot.send_document(
        5, csv, filename="shifts.csv", caption="<b>Export</b>", parse_mode="HTML"
    )
    assert sent.document is not None and sent.document.file_name == "shifts.csv"
    assert sent.caption == "Export" and sent.document.file_size == len(csv)
    tg_file = await bot.get_file(sent.document.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == csv
    again = await bot.send_document(5, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    seen = user.last_bot_message()
    assert seen is not None and seen.document is not None
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(5, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_photo_upload_and_user_photo(bot: Bot, client: SandboxClient) -> None:
    user = client.user(5)
    await user.upload_photo(tiny_png(), caption="my shift", file_name="me.png")
    update = (await bot.get_updates())[-1]
    assert update.message is not None and update.message.caption == "my shift"
    largest = update.message.photo[-1]
    assert (largest.width, largest.height) == (3, 2)
    data = await (await bot.get_file(largest.file_id)).download_as_bytearray()
    assert bytes(data) == tiny_png()
    sent = await bot.send_photo(5, largest.file_id, caption="thanks")
    assert sent.photo[-1].file_id == largest.file_id
    uploaded = await bot.send_photo(5, tiny_png(7, 9))
    assert (uploaded.photo[-1].width, uploaded.photo[-1].height) == (7, 9)


async def test_user_document_and_location(bot: Bot, client: SandboxClient) -> None:
    user = client.user(5)
    await user.upload_document(b"a,b\n", "list.csv")
    await user.send_location(-6.2, 106.8)
    doc_update, loc_update = await bot.get_updates()
    assert doc_update.message is not None and doc_update.message.document is not None
    assert doc_update.message.document.mime_type == "text/csv"
    assert loc_update.message is not None and loc_update.message.location is not None
    assert loc_update.message.location.latitude == pytest.approx(-6.2)
