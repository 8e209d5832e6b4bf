# Copyright (c) mmvg contributors. All rights reserved.
"""Crash-safe checkpoints: atomic writes and a complete-only resume.

A process killed while ``torch.save`` streams a checkpoint leaves a
truncated file under the final name, and mmengine's ``--resume`` picks
whatever ``last_checkpoint`` names. Here

* every local file that mmengine writes through its file backend
  (checkpoints of the Runner and of the DDP and FSDP ``full`` strategies)
  is written to a temporary file in the same directory, flushed, fsynced
  and renamed over the final name, so the final name only ever holds a
  complete file;
* directory checkpoints (DeepSpeed, FSDP ``local``) get a completion
  marker once every rank has written its part;
* :func:`find_latest_complete_checkpoint` returns the checkpoint that
  ``last_checkpoint`` names when it is complete, else the newest complete
  checkpoint of the work directory (``CheckpointHook`` writes the pointer
  after the checkpoint, with a plain ``open``: a kill in between leaves it
  old, empty or truncated, and the scan covers each case).
"""
import glob
import os
import os.path as osp
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Optional, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log

# Written into a directory checkpoint after all its parts are on disk.
COMPLETE_MARKER = 'mmvg_checkpoint_complete'
_CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def atomic_write(data: Union[bytes, str], filepath: Union[str, Path]) -> None:
    """Write ``data`` so that ``filepath`` is either absent/old or complete.

    Args:
        data (bytes | str): The content; ``str`` is written as UTF-8.
        filepath (str | Path): The final path.
    """
    filepath = str(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8')
    fd, tmp_path = tempfile.mkstemp(
        prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file 0600; give it the mode a plain open()
        # would, so that others on a shared cluster can read checkpoints.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    # Persist the rename itself (the directory entry).
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose writes are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), filepath)


def mark_complete(dirname: str) -> None:
    """Mark a directory checkpoint as completely written.

    Args:
        dirname (str): The checkpoint directory.
    """
    atomic_write('complete\n', osp.join(dirname, COMPLETE_MARKER))


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a checkpoint that was completely written.

    A file must be a whole zip archive (``torch.save``'s format, whose
    directory sits at the end, so a truncated file fails the check); a
    directory must hold the completion marker.

    Args:
        path (str): A checkpoint file or directory.

    Returns:
        bool: True for a complete checkpoint.
    """
    if osp.isdir(path):
        return osp.isfile(osp.join(path, COMPLETE_MARKER))
    if not osp.isfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return len(archive.namelist()) > 0
    except (zipfile.BadZipFile, OSError):
        return False


def find_latest_complete_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from.

    Args:
        work_dir (str): The run's work directory.

    Returns:
        str | None: The checkpoint named by ``last_checkpoint`` when it is
        complete, else the complete ``epoch_N.pth``/``iter_N.pth`` of the
        work directory written last, else None.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and is_complete_checkpoint(named):
            return named
        print_log(
            f'{pointer} names "{named}", which is not a complete '
            'checkpoint; looking for the newest complete one.',
            logger='current')
    candidates = [
        path for path in glob.glob(osp.join(work_dir, '*.pth'))
        if _CHECKPOINT_NAME.match(osp.basename(path))
        and is_complete_checkpoint(path)
    ]
    if not candidates:
        return None
    return max(candidates, key=_written_at)


def _written_at(path: str) -> float:
    """When a checkpoint was completed (a directory: its marker)."""
    if osp.isdir(path):
        path = osp.join(path, COMPLETE_MARKER)
    return osp.getmtime(path)


# Make every local write of mmengine (checkpoints included) atomic.
register_backend('local', AtomicLocalBackend, force=True)
