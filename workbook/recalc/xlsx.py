"""The .xlsx package at the XML level: read it safely, change cell values, write it atomically.

openpyxl cannot store the cached value of a formula cell and drops charts and other parts it
does not model when it saves, so results are written here instead: the package is copied
member by member and only the parts that change (worksheets, and for a hand-off copy the
workbook part, its relationships and the content types) are rewritten. Everything else
(styles, charts, drawings, data validation, defined names) passes through byte for byte.

Untrusted XML is parsed with defusedxml (no DTDs, no entity expansion).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from workbook.recalc import limits

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_TYPE = REL + "/worksheet"
CALC_CHAIN_TYPE = REL + "/calcChain"
SHARED_STRINGS_TYPE = REL + "/sharedStrings"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_M = "{%s}" % MAIN
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A run of this many bytes without "<" (the start of markup): see limits.TOKEN_BYTES.
_LONG_TOKEN = re.compile(rb"[^<]{%d}" % limits.TOKEN_BYTES)
# Characters XML 1.0 cannot carry.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


MAX_ROW, MAX_COL = 1048576, 16384  # a sheet's last row and column, in Excel and LibreOffice


class XlsxError(Exception):
    """A problem with the file itself, reported as one line naming the file (and cell)."""

    def __init__(self, message: str, cell: str | None = None):
        super().__init__(message)
        self.cell = cell


# ---------------------------------------------------------------------------------------
# XML in and out
# ---------------------------------------------------------------------------------------

def parse_xml(data: bytes, part: str) -> tuple[ET.Element, list[tuple[str, str]]]:
    """The root element of a part and its namespace declarations, parsed with defusedxml."""
    if len(data) > limits.TOKEN_BYTES and _LONG_TOKEN.search(data):
        raise XlsxError(f"{part} holds a single attribute, comment or text of more than "
                        f"{limits.TOKEN_BYTES // limits.MiB} MiB; refusing to read it")
    try:
        events = SafeET.iterparse(io.BytesIO(data), events=("start-ns",))  # one pass: the tree too
        namespaces = [ns for _, ns in events]
        root = events.root
    except DefusedXmlException as exc:
        raise XlsxError(f"{part} contains forbidden XML ({type(exc).__name__}); refusing to read it") from None
    except ET.ParseError as exc:
        raise XlsxError(f"{part} is not well-formed XML ({exc})") from None
    return root, namespaces


def write_xml(root: ET.Element, namespaces: list[tuple[str, str]]) -> bytes:
    """Serialise keeping the part's own namespace prefixes.

    Excel resolves prefixes named in mc:Ignorable (e.g. "x14ac") by their declarations, so
    every declaration of the original root is kept, including ones no element uses.
    """
    saved = dict(ET._namespace_map)  # ElementTree keeps its prefix table globally
    try:
        for prefix, uri in namespaces:
            try:
                ET.register_namespace(prefix, uri)
            except ValueError:  # prefixes like "ns0" are reserved by ElementTree
                pass
        text = ET.tostring(root, encoding="unicode")
    finally:
        ET._namespace_map.clear()
        ET._namespace_map.update(saved)
    end = text.index(">")
    head = text[:end]
    missing = []
    for prefix, uri in namespaces:
        attr = f'xmlns:{prefix}="' if prefix else 'xmlns="'
        if attr not in head:
            missing.append(f' {attr}{_escape_attr(uri)}"')
    if missing:
        close = end - 1 if head.endswith("/") else end
        text = text[:close] + "".join(missing) + text[close:]
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text.encode("utf-8")


def _escape_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def clean_text(text: str) -> str:
    """Text as a cell stores it: no characters XML cannot carry; a carriage return (which XML
    parsers turn into a line feed) written as OOXML's escape _x000D_, as Excel does."""
    return _ILLEGAL_XML.sub("", text).replace("\r", "_x000D_")


# ---------------------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------------------

@dataclass
class Sheet:
    name: str
    part: str  # e.g. "xl/worksheets/sheet1.xml"
    index: int  # position in the workbook, for sheet-scoped names


@dataclass
class DefinedName:
    name: str
    text: str  # e.g. "Inputs!$B$2"
    sheet_index: int | None  # None: workbook scope


@dataclass
class Package:
    """An .xlsx file held in memory, member by member, in its original order."""

    path: Path
    members: dict[str, bytes]
    infos: dict[str, zipfile.ZipInfo]
    sheets: list[Sheet] = field(default_factory=list)
    names: list[DefinedName] = field(default_factory=list)
    workbook_part: str = "xl/workbook.xml"
    _xml: dict[str, tuple[ET.Element, list]] = field(default_factory=dict)
    _dirty: set[str] = field(default_factory=set)

    # -- reading ---------------------------------------------------------------------
    def xml(self, part: str) -> ET.Element:
        """The parsed part, cached, for reading (see `edit`)."""
        if part not in self._xml:
            if part not in self.members:
                raise XlsxError(f"the package has no part {part}")
            self._xml[part] = parse_xml(self.members[part], part)
        return self._xml[part][0]

    def sheet(self, name: str) -> Sheet:
        """A worksheet by name, ignoring case as Excel does."""
        for s in self.sheets:
            if s.name.casefold() == name.casefold():
                return s
        raise KeyError(name)

    def workbook_name(self, name: str) -> DefinedName | None:
        for n in self.names:
            if n.sheet_index is None and n.name.casefold() == name.casefold():
                return n
        return None

    # -- writing ---------------------------------------------------------------------
    def edit(self, part: str) -> ET.Element:
        """The parsed part, to change: only edited parts are re-serialised; others are copied byte for byte."""
        root = self.xml(part)
        self._dirty.add(part)
        return root

    def add_member(self, part: str, data: bytes) -> None:
        self.members[part] = data
        self.infos[part] = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
        self.infos[part].compress_type = zipfile.ZIP_DEFLATED

    def remove_member(self, part: str) -> None:
        self.members.pop(part, None)
        self.infos.pop(part, None)
        self._xml.pop(part, None)
        self._dirty.discard(part)

    def to_bytes(self, also=()) -> bytes:
        """The package as a zip; `also` names parts changed without `edit` (e.g. temporarily)."""
        dirty = self._dirty | set(also)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zout:
            for part, data in self.members.items():
                if part in dirty and part in self._xml:
                    root, namespaces = self._xml[part]
                    data = write_xml(root, namespaces)
                info = self.infos[part]
                fresh = zipfile.ZipInfo(part, date_time=info.date_time)
                fresh.compress_type = info.compress_type
                fresh.external_attr = info.external_attr
                zout.writestr(fresh, data)
        return buf.getvalue()

    def save(self, out: Path) -> None:
        atomic_write(out, self.to_bytes())


def atomic_write(out: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then move it into place."""
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        os.fchmod(fd, _file_mode(out))  # mkstemp makes owner-only files
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # name the output, not the temporary file
            raise OSError(exc.errno, exc.strerror, str(out)) from None
        raise


def _file_mode(out: Path) -> int:
    """The mode the file would have if written normally: the old file's, or 0666 less the umask."""
    try:
        return out.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def sniff(path: Path) -> None:
    """Raise XlsxError with a plain reason unless `path` looks like an .xlsx package."""
    if not path.exists():
        raise XlsxError("no such file")
    if path.is_dir():
        raise XlsxError("is a folder, not a workbook")
    if not path.is_file():  # a pipe or a device would block or never end
        raise XlsxError("is not a regular file (a pipe or device); give the workbook's file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if head[:8] == _OLE_MAGIC:
                fh.seek(0)
                body = fh.read(1 << 22)
                if "EncryptedPackage".encode("utf-16-le") in body:
                    raise XlsxError("is password-protected (encrypted); save an unprotected copy and try again")
                raise XlsxError("is an Excel 97-2003 (.xls) or other OLE file, not .xlsx; "
                                "save it as .xlsx first")
    except OSError as exc:
        raise XlsxError(f"cannot be read ({exc.strerror or exc})") from None
    if head[:4] != _ZIP_MAGIC:
        raise XlsxError("is not an .xlsx workbook (not a zip package)")


def _resolve(base_part: str, target: str) -> str:
    """A relationship target as a package part name."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = []
    for piece in (str(PurePosixPath(base_part).parent) + "/" + target).split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def rels_part(part: str) -> str:
    p = PurePosixPath(part)
    return str(p.parent / "_rels" / (p.name + ".rels"))


def _inflate(z: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> bytes:
    """One member's bytes, read in chunks and refused as soon as it passes a limit."""
    if info.file_size > min(room, limits.PART_BYTES):  # declared too large: no need to inflate
        _too_large(info.filename, info.file_size > limits.PART_BYTES)
    chunks, size = [], 0
    with z.open(info) as member:
        while chunk := member.read(1 << 20):
            size += len(chunk)
            if size > limits.PART_BYTES or size > room:
                _too_large(info.filename, size > limits.PART_BYTES)
            chunks.append(chunk)
    return b"".join(chunks)


def _too_large(part: str, one_part: bool) -> None:
    if one_part:
        raise XlsxError(f"{part} unpacks to more than {limits.PART_BYTES // limits.MiB} MiB (the "
                        f"limit for one part); refusing to open it")
    raise XlsxError(f"unpacks to more than {limits.UNPACKED_BYTES // limits.MiB} MiB (the limit for "
                    f"a workbook); refusing to open it")


def read_package(path) -> Package:
    """Read and check an .xlsx file: every member, its worksheets and defined names."""
    path = Path(path)
    sniff(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            members, by_name = {}, {}
            total = 0
            for info in infos:
                if info.is_dir():
                    continue
                # Counted as it inflates: a member's declared size may lie.
                data = _inflate(z, info, limits.UNPACKED_BYTES - total)
                total += len(data)
                members[info.filename] = data
                by_name[info.filename] = info
    except XlsxError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        raise XlsxError(f"is not a readable .xlsx workbook (corrupt zip package: {exc})") from None
    if members.get("mimetype", b"").startswith(b"application/vnd.oasis.opendocument"):
        raise XlsxError("is an OpenDocument file (.ods), not .xlsx; save it as .xlsx first")
    for part, data in members.items():
        # No OOXML part has a document type declaration; refuse them all (entity expansion
        # bombs) before any reader sees them.
        if part.endswith((".xml", ".rels", ".vml")) and b"<!DOCTYPE" in data[:4096]:
            raise XlsxError(f"{part} contains a document type declaration (forbidden XML); refusing to read it")
    pkg = Package(path, members, by_name)
    workbook_part = _main_part(pkg)
    if workbook_part is None:
        raise XlsxError("is a zip package but not an .xlsx workbook (no workbook part)")
    pkg.workbook_part = workbook_part
    _read_workbook(pkg)
    return pkg


# The workbook part's content type -> the file extension Excel requires for it.
EXTENSIONS = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
}


def extension(pkg: Package) -> str:
    """The extension Excel expects for this package (.xlsm for a macro-enabled workbook): Excel
    refuses to open a file whose extension does not match its workbook part's type."""
    if "[Content_Types].xml" in pkg.members:
        for o in pkg.xml("[Content_Types].xml").iter(f"{{{CT}}}Override"):
            if o.get("PartName", "").lstrip("/") == pkg.workbook_part:
                return EXTENSIONS.get(o.get("ContentType", ""), ".xlsx")
    return ".xlsx"


def _main_part(pkg: Package) -> str | None:
    if "_rels/.rels" in pkg.members:
        root = pkg.xml("_rels/.rels")
        for rel in root.iter(f"{{{PKG_REL}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                part = _resolve("", rel.get("Target", ""))
                if part in pkg.members:
                    return part
    return "xl/workbook.xml" if "xl/workbook.xml" in pkg.members else None


def _read_workbook(pkg: Package) -> None:
    wb = pkg.xml(pkg.workbook_part)
    if wb.tag != _M + "workbook":
        if "purl.oclc.org/ooxml" in wb.tag:  # Excel's "Strict Open XML Spreadsheet"
            raise XlsxError("is saved as Strict Open XML; save it as an Excel Workbook (.xlsx) instead")
        raise XlsxError(f"is not an .xlsx workbook (its main part is {wb.tag.rpartition('}')[2]})")
    rels = {}
    rp = rels_part(pkg.workbook_part)
    if rp in pkg.members:
        for rel in pkg.xml(rp).iter(f"{{{PKG_REL}}}Relationship"):
            rels[rel.get("Id")] = (rel.get("Type", ""), _resolve(pkg.workbook_part, rel.get("Target", "")))
    for i, s in enumerate(wb.iter(_M + "sheet")):
        rtype, part = rels.get(s.get(f"{{{REL}}}id"), ("", ""))
        if rtype == WORKSHEET_TYPE and part in pkg.members:  # chart sheets and dialogs have no cells
            pkg.sheets.append(Sheet(s.get("name", ""), part, i))
    if not pkg.sheets:
        raise XlsxError("has no worksheets")
    for n in wb.iter(_M + "definedName"):
        local = n.get("localSheetId")
        pkg.names.append(DefinedName(n.get("name", ""), n.text or "", int(local) if local else None))


# ---------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------

def split_ref(ref: str) -> tuple[int, int]:
    """"B12" -> (12, 2)."""
    col, row = coordinate_from_string(ref)
    return row, column_index_from_string(col)


def sheet_data(root: ET.Element) -> ET.Element:
    data = root.find(_M + "sheetData")
    if data is None:
        raise XlsxError("a worksheet has no sheetData")
    return data


def index_cells(root: ET.Element) -> dict[str, ET.Element]:
    """Every <c> element by its reference; fills in implied references (r is optional)."""
    cells = {}
    row_no = 0
    for row in sheet_data(root).findall(_M + "row"):
        row_no = int(row.get("r") or row_no + 1)
        row.set("r", str(row_no))
        col_no = 0
        for c in row.findall(_M + "c"):
            ref = c.get("r")
            if ref:
                col_no = split_ref(ref)[1]
            else:
                col_no += 1
                ref = f"{get_column_letter(col_no)}{row_no}"
                c.set("r", ref)
            cells[ref.upper()] = c
    return cells


def ensure_cell(root: ET.Element, cells: dict[str, ET.Element], ref: str) -> ET.Element:
    """The <c> element for `ref`, created in row and column order when it does not exist."""
    ref = ref.upper().replace("$", "")
    if ref in cells:
        return cells[ref]
    row_no, col_no = split_ref(ref)
    data = sheet_data(root)
    rows = data.findall(_M + "row")
    row = next((r for r in rows if int(r.get("r")) == row_no), None)
    if row is None:
        row = ET.Element(_M + "row", {"r": str(row_no)})
        pos = sum(1 for r in rows if int(r.get("r")) < row_no)
        data.insert(pos, row)
    row.attrib.pop("spans", None)  # an optional hint that a new cell could contradict
    cols = row.findall(_M + "c")
    pos = sum(1 for c in cols if split_ref(c.get("r"))[1] < col_no)
    cell = ET.Element(_M + "c", {"r": ref})
    row.insert(list(row).index(cols[pos]) if pos < len(cols) else len(row), cell)
    cells[ref] = cell
    _grow_dimension(root, row_no, col_no)
    return cell


def _grow_dimension(root: ET.Element, row_no: int, col_no: int) -> None:
    dim = root.find(_M + "dimension")
    if dim is None or not dim.get("ref"):
        return
    try:
        first, _, last = dim.get("ref").partition(":")
        r1, c1 = split_ref(first)
        r2, c2 = split_ref(last or first)
    except ValueError:
        return
    r1, c1, r2, c2 = min(r1, row_no), min(c1, col_no), max(r2, row_no), max(c2, col_no)
    dim.set("ref", f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")


def shared_strings(pkg: Package) -> list[str]:
    """The workbook's shared strings, in order (empty when it has none)."""
    rp = rels_part(pkg.workbook_part)
    if rp not in pkg.members:
        return []
    for rel in pkg.xml(rp).iter(f"{{{PKG_REL}}}Relationship"):
        if rel.get("Type") == SHARED_STRINGS_TYPE:
            part = _resolve(pkg.workbook_part, rel.get("Target", ""))
            if part in pkg.members:
                return [_text(si) for si in pkg.xml(part).iter(_M + "si")]
    return []


def _text(item: ET.Element) -> str:
    """The text of a string item (<si> or <is>): plain or rich-text runs, without phonetic hints."""
    return "".join(t.text or "" for t in item.findall(_M + "t") + item.findall(f"{_M}r/{_M}t"))


def cell_value(cell: ET.Element | None, strings: list[str]):
    """A constant cell's value as stored: float, bool, str, or None (empty or an error)."""
    if cell is None:
        return None
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_M + "is")
        return _text(inline) if inline is not None else None
    v = cell.find(_M + "v")
    if v is None or v.text is None:
        return None
    try:
        if kind == "s":
            return strings[int(v.text)]
        if kind == "str":
            return v.text
        if kind == "b":
            return v.text.strip() in ("1", "true")
        if kind == "n":
            return float(v.text)
    except (ValueError, IndexError):
        pass
    return None


def number_text(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _cached_form(value, error_code: str | None) -> tuple[str | None, str]:
    """The cell type and <v> text a computed value is stored as."""
    if error_code is not None:
        return "e", error_code
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, str):
        return "str", clean_text(value)
    return None, number_text(value)


def set_cached(cell: ET.Element, value, error_code: str | None = None) -> None:
    """Store the computed value of a formula cell (its <f> is kept)."""
    _clear_value(cell)
    f = cell.find(_M + "f")
    v = ET.Element(_M + "v")
    kind, v.text = _cached_form(value, error_code)
    if kind is None:
        cell.attrib.pop("t", None)
    else:
        cell.set("t", kind)
    cell.insert(list(cell).index(f) + 1 if f is not None else 0, v)


def holds_cached(cell: ET.Element, value, error_code: str | None = None) -> bool:
    """Whether the cell holds the value already as set_cached would store it: a <v> of that
    text right after its <f>, the same type, and nothing else of a value."""
    kind, text = _cached_form(value, error_code)
    children = list(cell)
    f = cell.find(_M + "f")
    at = children.index(f) + 1 if f is not None else 0
    return (cell.get("t") == kind and at < len(children) and children[at].tag == _M + "v"
            and children[at].text == text and len(cell.findall(_M + "v")) == 1 and cell.find(_M + "is") is None)


def set_constant(cell: ET.Element, value, error_code: str | None = None) -> None:
    """Make the cell a plain value: no formula, text stored inline (no shared strings)."""
    for f in cell.findall(_M + "f"):
        cell.remove(f)
    _clear_value(cell)
    if isinstance(value, str) and error_code is None:
        cell.set("t", "inlineStr")
        inline = ET.Element(_M + "is")
        t = ET.SubElement(inline, _M + "t")
        t.text = clean_text(value)
        if t.text != t.text.strip():
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        cell.insert(0, inline)
        return
    set_cached(cell, value, error_code)


def _clear_value(cell: ET.Element) -> None:
    for tag in ("v", "is"):
        for el in cell.findall(_M + tag):
            cell.remove(el)
    cell.attrib.pop("t", None)
    cell.attrib.pop("vm", None)  # rich-value metadata of the old result
    if cell.find(_M + "f") is None:
        cell.attrib.pop("cm", None)  # dynamic-array metadata belongs to a formula
