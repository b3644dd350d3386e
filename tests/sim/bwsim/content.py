# Deterministic report bytes: every file is a pure function of a Key (seed, ident, size, fmt).
# Random access without generating what comes before; big files materialised once for sendfile.
"""Report file contents.

Account reports are fixed-width text records of WIDTH bytes. A file is cut
into blocks of RECORDS records; record i of block k starts with the 12-digit
record number f"{k:08d}{i:04d}" (= k * RECORDS + i), so byte offset -> (block,
record) is arithmetic. Each file has a template block in which the block number
is a placeholder ("########"), stamped into a copy of the template with eight
strided slice assignments (several GB/s). A file is
the record stream cut to `size` bytes (the last record may be partial).

Billing reports (fmt "zip") are real zip archives holding one CSV whose bytes
are the account-report stream of Key(seed, ident, size, "csv"): for them `size`
is the length of the CSV, and size(key) the length of the archive.

Tests import this module: key_for(seed, ident, size, fmt), read(key, off, n),
sha256(key), size(key).
"""

import hashlib
import io
import os
import random
import re
import threading
import zipfile
from collections import OrderedDict
from typing import NamedTuple

RECORDS = 10000                 # records per block
WIDTH = 100                     # bytes per record, newline included
BLOCK = RECORDS * WIDTH         # bytes per block (1,000,000)
PLACEHOLDER = b"########"       # where a template has the block number
MATERIALISE_MIN = 8 * 1024 * 1024
CHUNK = BLOCK                   # piece size of iter_chunks

_STATUSES = ["Inservice", "Available", "Disconnected", "PortedOut", "Reserved", "Aging"]
_CITIES = ["RALEIGH NC", "DURHAM NC", "CARY NC", "AUSTIN TX", "DENVER CO", "BOSTON MA",
           "SEATTLE WA", "ATLANTA GA", "CHICAGO IL", "PHOENIX AZ"]
_ALPHA = "abcdefghijklmnopqrstuvwxyz"


class Key(NamedTuple):
    """What a report file is a function of. For fmt "zip", size is the CSV's length."""
    seed: int
    ident: str
    size: int
    fmt: str

    def to_json(self):
        return {"seed": self.seed, "ident": self.ident, "size": self.size, "fmt": self.fmt}


def key_for(seed, ident, size, fmt):
    """The Key of a file, normalising types (ident may be an int instance id)."""
    return Key(int(seed), str(ident), int(size), str(fmt).lower())


def key_from_json(obj):
    return key_for(obj["seed"], obj["ident"], obj["size"], obj["fmt"])


# -- account-report records ------------------------------------------------

_lock = threading.Lock()
_templates = OrderedDict()      # (seed, ident, fmt) -> template block, LRU
_TEMPLATE_CACHE = 24
_zips = OrderedDict()           # Key -> archive bytes, LRU
_ZIP_CACHE = 8
_digests = {}                   # Key -> hex sha256


_PREFIXES = [f"########{i:04d}," for i in range(RECORDS)]
_LETTERS = bytes(ord("a") + b % 26 for b in range(256))
_WORD = 12
_bases = {}                     # (seed, fmt) -> RECORDS middle fields of 60 characters


def _base_fields(seed, fmt):
    """The middle fields (phone number, account, status, date, city, format) of
    RECORDS records, shared by every file of one seed and format."""
    bk = (seed, fmt)
    with _lock:
        base = _bases.get(bk)
    if base is not None:
        return base
    rng = random.Random(f"bwsim-content:{seed}:{fmt}")
    tag = (fmt or "bin")[:4].ljust(4)
    base = []
    for _ in range(RECORDS):
        tn = rng.randrange(2012000000, 9899999999)
        acct = rng.randrange(1000000, 9999999)
        status = _STATUSES[rng.randrange(len(_STATUSES))]
        city = _CITIES[rng.randrange(len(_CITIES))]
        y, m, d = 2020 + rng.randrange(7), 1 + rng.randrange(12), 1 + rng.randrange(28)
        base.append(f"+1{tn},{acct},{status:<12},{y:04d}-{m:02d}-{d:02d},{city:<10},{tag}")
    with _lock:
        _bases[bk] = base
    return base


def _make_template(seed, ident, fmt):
    """One block of a file: record i is its number, base fields picked by a
    per-file permutation of the shared table, and a per-file random word."""
    base = _base_fields(seed, fmt)
    rng = random.Random(f"bwsim-content:{seed}:{ident}:{fmt}")
    off = rng.randrange(RECORDS)
    step = rng.choice([1, 3, 7, 9, 11, 13, 17, 19, 21, 23, 27, 29, 31, 33, 37, 39])
    words = rng.randbytes(RECORDS * _WORD).translate(_LETTERS).decode("ascii")
    pad = " " * (WIDTH - 1 - len(_PREFIXES[0]) - len(base[0]) - 1 - _WORD) + "\n"
    data = "".join([_PREFIXES[i] + base[(off + step * i) % RECORDS] + ","
                    + words[i * _WORD:(i + 1) * _WORD] + pad
                    for i in range(RECORDS)]).encode("ascii")
    assert len(data) == BLOCK
    return data


def _template(key):
    tk = (key.seed, key.ident, key.fmt)
    with _lock:
        tmpl = _templates.get(tk)
        if tmpl is not None:
            _templates.move_to_end(tk)
            return tmpl
    tmpl = _make_template(*tk)
    with _lock:
        _templates[tk] = tmpl
        while len(_templates) > _TEMPLATE_CACHE:
            _templates.popitem(last=False)
    return tmpl


_DIGITS = [bytes([48 + d]) * RECORDS for d in range(10)]


def _stamp(buf, blk, records):
    """Write the block number into the first 8 bytes of each of `records`
    records of `buf` (a bytearray starting at a record boundary): eight strided
    slice assignments, no search and no allocation."""
    for j, digit in enumerate(b"%08d" % blk):
        column = _DIGITS[digit - 48]
        buf[j:records * WIDTH:WIDTH] = column if records == RECORDS else column[:records]


def _pieces(key, offset, length, reuse):
    """The bytes [offset, offset + length) as pieces of at most one block.
    With reuse, whole blocks come in one bytearray filled again for each block:
    a piece is valid only until the next one is asked for."""
    end = min(key.size, offset + length)
    if offset >= end:
        return
    tmpl = _template(key)
    whole = None
    pos = offset
    while pos < end:
        blk, r = divmod(pos, BLOCK)
        stop = min(end - blk * BLOCK, BLOCK)          # end inside this block
        if reuse and r == 0 and stop == BLOCK:
            if whole is None:
                whole = bytearray(tmpl)
            _stamp(whole, blk, RECORDS)
            yield whole
        else:
            rs = r - r % WIDTH                         # whole records only
            re_ = min(stop + (-stop) % WIDTH, BLOCK)
            seg = bytearray(tmpl[rs:re_])
            _stamp(seg, blk, (re_ - rs) // WIDTH)
            yield bytes(seg[r - rs:stop - rs]) if (r - rs or stop - re_) else bytes(seg)
        pos = blk * BLOCK + stop


def _read_records(key, offset, length):
    return b"".join(_pieces(key, offset, length, reuse=False))


# -- billing archives --------------------------------------------------------

def _zip_bytes(key):
    with _lock:
        data = _zips.get(key)
        if data is not None:
            _zips.move_to_end(key)
            return data
    csv_key = Key(key.seed, key.ident, key.size, "csv")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(f"report-{key.ident}.csv", date_time=(2021, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o644 << 16
        with zf.open(info, "w", force_zip64=key.size >= (1 << 31)) as out:
            for piece in stream(csv_key, 0, key.size):
                out.write(piece)
    data = buf.getvalue()
    with _lock:
        _zips[key] = data
        while len(_zips) > _ZIP_CACHE:
            _zips.popitem(last=False)
    return data


# -- public API ----------------------------------------------------------------

def size(key):
    """Length in bytes of the file."""
    if key.fmt == "zip":
        return len(_zip_bytes(key))
    return key.size


def read(key, offset, length):
    """The bytes [offset, offset + length) of the file (fewer at its end)."""
    if offset < 0 or length <= 0:
        return b""
    if key.fmt == "zip":
        return _zip_bytes(key)[offset:offset + length]
    return _read_records(key, offset, length)


def iter_chunks(key, offset, length, piece=CHUNK):
    """The bytes [offset, offset + length) as bytes pieces of at most `piece` bytes."""
    end = min(size(key), offset + length)
    pos = offset
    while pos < end:
        n = min(piece, end - pos)
        data = read(key, pos, n)
        if not data:
            return
        yield data
        pos += len(data)


def stream(key, offset, length):
    """Like iter_chunks, faster, for consumers that use each piece at once (write,
    hash): a piece may be a bytearray that the next piece overwrites."""
    if key.fmt == "zip":
        yield from iter_chunks(key, offset, length)
    else:
        yield from _pieces(key, offset, length, reuse=True)


def sha256(key):
    """Hex SHA-256 of the whole file (cached)."""
    with _lock:
        digest = _digests.get(key)
    if digest is not None:
        return digest
    h = hashlib.sha256()
    for piece in stream(key, 0, size(key)):
        h.update(piece)
    digest = h.hexdigest()
    with _lock:
        _digests[key] = digest
    return digest


# -- materialised files ------------------------------------------------------------

_file_locks = {}


def _file_name(key):
    ident = re.sub(r"[^A-Za-z0-9_-]", "_", key.ident)
    return f"{key.seed}_{ident}_{key.size}_{key.fmt}.dat"


def wants_file(key):
    """Whether the file is big enough to be materialised and sent with sendfile."""
    return key.fmt != "zip" and key.size >= MATERIALISE_MIN


def materialise(key, state_dir):
    """Write the file once to STATE_DIR/files/ (temp + rename) and return its path.
    Concurrent callers for the same file wait for the one writer."""
    directory = os.path.join(state_dir, "files")
    path = os.path.join(directory, _file_name(key))
    with _lock:
        flock = _file_locks.setdefault(path, threading.Lock())
    with flock:
        try:
            if os.path.getsize(path) == key.size:
                return path
        except OSError:
            pass
        os.makedirs(directory, exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}.{threading.get_ident()}"
        try:
            with open(tmp, "wb") as f:
                for piece in stream(key, 0, key.size):
                    f.write(piece)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    return path
