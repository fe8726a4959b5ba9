"""Writing outputs safely: one file through a temporary name and a rename, or a set of files as a whole.

One file (``atomic_write``, ``-o FILE``): the text goes to a temporary file in the target's directory, is flushed
and renamed over the target, so a reader sees the old file or the new one, never half of either. A symlink is
written through (its target is replaced, the link stays); a directory, a device, a FIFO or a socket is refused,
and so is a path ending in a separator (``-o x.json/``) or a name longer than the system allows;
missing parent directories are created and removed again when the write fails. A failed write leaves nothing
behind: no temporary file, no new directory.

A set of files (``write_set``, ``--out DIR``): into a new directory, the files are written into a hidden
temporary directory beside it, which is renamed into place when all are complete. Into an existing directory
(it may hold other files), every file is first written under a temporary name; only when all are complete is
the old ``MANIFEST.json`` removed, each file renamed into place and a new ``MANIFEST.json`` (every file of the
set with its size and SHA-256) written last. Nothing inside DIR is followed: a symbolic link where a set file
goes (``DIR/layers.csv -> ../elsewhere``, dangling or not) is replaced by the new file, never written through,
so no file outside DIR is created or changed (DIR itself may be a link: the user named it). A set without its manifest, or whose files do not match it, is
incomplete. A failure leaves the previous set as it was.

Errors: a wrong place is an ``OutputError`` (exit 2); a failing system call (disk full, I/O error) is a
``RunError`` (exit 1); both are one line naming the path.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from workloads.errors import OutputError, RunError

MANIFEST = "MANIFEST.json"
# errors of the place itself (the user chose a bad path) -> OutputError; anything else -> RunError
_PLACE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENOENT,
                 errno.ENAMETOOLONG, errno.ELOOP, errno.EEXIST}


def _fail(path, exc: OSError, what: str = "cannot write"):
    """The one-line error for an OSError while writing ``path``."""
    reason = exc.strerror or exc.__class__.__name__
    if exc.errno in _PLACE_ERRNOS:
        return OutputError(str(path), "", f"{what}: {reason}", "a writable file path")
    return RunError(f"{path}: {what}: {reason} (nothing was written)")


def _target(path: Path) -> Path:
    """Where writing ``path`` lands: through a symlink to its target; a directory or a non-regular file is refused,
    and so is a name too long for the system."""
    try:
        if path.is_symlink():
            path = Path(os.path.realpath(path))
        st = path.stat()
    except FileNotFoundError:
        return path
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            _parents_to_make(path.parent)  # names the file in the way
        raise _fail(path, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(str(path), "", "is a directory", "a file path (or --out DIR for a set of files)")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(str(path), "", "is not a regular file (a device, FIFO or socket)", "a regular file path")
    return path


def _parents_to_make(directory: Path) -> list[Path]:
    """The missing directories above and including ``directory``, outermost first; an existing non-directory in
    the way is an ``OutputError``."""
    missing = []
    d = directory
    try:
        while not d.exists():
            if d.is_symlink():  # a dangling link where a directory should be
                raise OutputError(str(d), "", "is a broken symbolic link", "an existing or creatable directory")
            missing.append(d)
            if d.parent == d:
                break
            d = d.parent
    except OSError as exc:  # a name too long, a loop of links
        raise _fail(d, exc) from None
    if d.exists() and not d.is_dir():
        raise OutputError(str(d), "", "is a file, not a directory", "a path whose parents are directories")
    return missing[::-1]


def _file_path(path: str | Path) -> Path:
    """``path`` as a ``Path``; a string ending in a separator (``x.json/`` names a directory, which ``Path``
    would silently drop) is an ``OutputError``."""
    if isinstance(path, str) and path.endswith(tuple(s for s in ("/", os.sep, os.altsep) if s)):
        raise OutputError(path, "", "ends with a path separator (names a directory)", "a file path")
    return Path(path)


def check_output_file(path: str | Path) -> Path:
    """Check ``-o FILE`` before any work: not a directory or special file, parents directories. Returns the
    path writes land on (a symlink's target)."""
    target = _target(_file_path(path))
    _parents_to_make(target.parent)
    return target


def check_output_dir(path: str | Path) -> Path:
    """Check ``--out DIR`` before any work: a directory or creatable, not a file or under one."""
    p = Path(path)
    try:
        if p.is_symlink():
            p = Path(os.path.realpath(p))
        is_file = p.exists() and not p.is_dir()
    except OSError as exc:  # a name too long, a loop of links
        raise _fail(p, exc) from None
    if is_file:
        raise OutputError(str(path), "", "is a file, not a directory", "a directory path")
    _parents_to_make(p)
    return p


def _make_dirs(dirs: list[Path]) -> None:
    for d in dirs:
        try:
            d.mkdir()
        except FileExistsError:
            pass
        except OSError as exc:
            raise _fail(d, exc, "cannot create the directory") from None


def _remove_dirs(dirs: list[Path]) -> None:
    for d in reversed(dirs):
        try:
            d.rmdir()
        except OSError:
            pass


def atomic_write(path: str | Path, write: Callable[[IO], None], binary: bool = False) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path`` (its target, through a symlink), then rename it into
    place. New files get mode 0666 & ~umask, a replaced file keeps its mode. Rules: module docstring."""
    target = _target(_file_path(path))
    made = _parents_to_make(target.parent)
    _make_dirs(made)
    tmp = None
    try:
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, _mode(target))
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:
            raise _fail(target, exc) from None
    finally:
        if tmp is not None:
            _unlink(tmp)
            _remove_dirs(made)
    return target


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (``atomic_write``)."""
    return atomic_write(path, lambda fh: fh.write(text))


def _mode(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _unlink(p) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _put(directory: Path, name: str, text: str, hidden: bool) -> tuple[str, dict]:
    """Write ``text`` to a new file in ``directory`` (``name``, or a hidden temporary name), flushed to disk:
    (its path, its manifest entry)."""
    data = text.encode("utf-8")
    if hidden:
        fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    else:
        path = str(directory / name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(path, 0o666 & ~_umask())
    except BaseException:
        _unlink(path)
        raise
    return path, {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write_set(out_dir: str | Path, files: dict[str, str], written_by: str = "vitsim") -> list[Path]:
    """Write ``files`` (name -> text) into ``out_dir`` as one set (module docstring). Returns the paths."""
    out = check_output_dir(out_dir)
    made = _parents_to_make(out.parent)
    _make_dirs(made)
    try:
        if not out.exists():
            _new_set(out, files, written_by)
        else:
            _replace_set(out, files, written_by)
    except OSError as exc:
        _remove_dirs(made)
        raise _fail(out, exc) from None
    except BaseException:
        _remove_dirs(made)
        raise
    return [out / name for name in files]


def _manifest_text(entries: dict, written_by: str) -> str:
    return json.dumps({"complete": True, "written_by": written_by, "files": entries}, indent=1) + "\n"


def _new_set(out: Path, files: dict[str, str], written_by: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        entries = {name: _put(tmp, name, text, False)[1] for name, text in files.items()}
        _put(tmp, MANIFEST, _manifest_text(entries, written_by), False)
        os.chmod(tmp, 0o777 & ~_umask())
        os.rename(tmp, out)
        tmp = None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _entry(out: Path, name: str) -> Path:
    """The directory entry ``out/name`` a set file replaces. Nothing inside the set's directory is followed: a
    symbolic link there (dangling or not) is itself replaced by the new file, never written through, so no file
    outside DIR is created or changed. A directory in the way is refused."""
    p = out / name
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return p
    except OSError as exc:
        raise _fail(p, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(str(p), "", "is a directory", "a set whose file names are free or files")
    return p


def _replace_set(out: Path, files: dict[str, str], written_by: str) -> None:
    dest = {name: _entry(out, name) for name in [*files, MANIFEST]}  # refused before anything is written
    staged: dict[str, str] = {}
    try:
        entries = {}
        for name, text in files.items():
            staged[name], entries[name] = _put(out, name, text, True)
        staged[MANIFEST], _ = _put(out, MANIFEST, _manifest_text(entries, written_by), True)
        _unlink(dest[MANIFEST])  # from here until the new manifest lands, the set reads as incomplete
        for name in files:
            os.replace(staged.pop(name), dest[name])
        os.replace(staged.pop(MANIFEST), dest[MANIFEST])
    finally:
        for tmp in staged.values():
            _unlink(tmp)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def set_is_complete(out_dir: str | Path) -> bool:
    """True when ``out_dir`` holds a manifest and every file it lists, with the listed size and SHA-256."""
    out = Path(out_dir)
    try:
        m = json.loads((out / MANIFEST).read_text())
        for name, e in m["files"].items():
            data = (out / name).read_bytes()
            if len(data) != e["bytes"] or hashlib.sha256(data).hexdigest() != e["sha256"]:
                return False
        return m.get("complete") is True
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def check_finite(obj, what: str):
    """Return ``obj`` if every number in it (nested dicts, lists, tuples, numpy arrays, a DataFrame's numeric
    columns) is finite; else raise ``RunError`` naming the first NaN or infinity: a result that came out
    non-finite is a bug, refused rather than written (``None`` is fine: "not applicable")."""
    import math

    todo = [(obj, "")]
    while todo:
        node, where = todo.pop()
        if isinstance(node, float):
            if not math.isfinite(node):
                raise RunError(f"{what}: {where or 'value'} is {node}: refusing to write a non-finite result "
                               "(an internal error; please report it with the command that gave it)")
        elif isinstance(node, dict):
            todo.extend((v, f"{where}.{k}" if where else str(k)) for k, v in node.items())
        elif isinstance(node, (list, tuple)):
            todo.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
        elif hasattr(node, "select_dtypes"):  # a pandas DataFrame
            num = node.select_dtypes("number")
            todo.extend((num[c].to_numpy(), f"{where}.{c}" if where else str(c)) for c in num.columns)
        elif hasattr(node, "dtype") and getattr(node.dtype, "kind", "") in "fc":  # numpy array or scalar
            import numpy as np

            bad = np.flatnonzero(~np.isfinite(np.asarray(node, dtype=complex if node.dtype.kind == "c" else float)
                                              .reshape(-1)))
            if len(bad):
                todo.append((float(np.asarray(node).reshape(-1)[bad[0]].real), f"{where}[{int(bad[0])}]"))
    return obj
