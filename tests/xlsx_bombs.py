"""Workbooks that are small on disk and huge once unpacked, built in memory in a moment:
the sheet's XML is one compressed piece of rows repeated (deflate blocks compressed from a
fresh state can follow one another), its CRC computed over what it unpacks to."""
import io
import struct
import zlib

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
PREFIX = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SUFFIX = "</sheetData></worksheet>"


def _text_cell(text):
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = "<row>" + "".join(_text_cell(t) for t in ("ubigeo", "indicator", "year", "value")) + "</row>"
VALUE_ROW = "<row>" + _text_cell("010101") + _text_cell("poverty_pct") + "<c><v>2018</v></c><c><v>9</v></c></row>"


def _deflate(data: bytes, final: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _zip(members) -> bytes:
    """``members``: (name, raw deflate bytes, crc32, uncompressed size)."""
    out, central = io.BytesIO(), []
    for name, packed, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed), size,
                              len(encoded), 0) + encoded + packed)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(packed), size,
                                   len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def workbook_members():
    """The parts of a one-sheet workbook openpyxl writes, the sheet left out."""
    import zipfile

    buffer = io.BytesIO()
    Workbook().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != SHEET}


def bomb_xlsx(rows: int, *, rows_per_piece: int = 8000, row: str = VALUE_ROW) -> bytes:
    """A valid XLSX whose sheet holds a header and ``rows`` (rounded up to whole pieces)
    value rows."""
    piece = (row * rows_per_piece).encode()
    repeats = max(1, -(-rows // rows_per_piece))
    head, tail = (PREFIX + HEADER_ROW).encode(), SUFFIX.encode()
    packed_piece = _deflate(piece, final=False)
    packed = _deflate(head, final=False) + packed_piece * repeats + _deflate(tail, final=True)
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(piece, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(piece) * repeats + len(tail)
    members = [(name, _deflate(data, final=True), zlib.crc32(data), len(data))
               for name, data in workbook_members().items()]
    members.append((SHEET, packed, crc, size))
    return _zip(members)
