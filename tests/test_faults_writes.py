"""Faults while a run writes its folder, and two runs on one folder.

The write and lock half of the fault-injection cases (issue 34; the other
half is in test_faults.py). A failed write (no space, read-only folder, no
permission) must end ``train``, ``sweep`` and ``compare`` with a one-line
exit-2 error naming the path, never a traceback or a signal, and leave the
previous run's files whole; a second run on a folder in use must stop at
once naming the holder, and a holder killed with SIGKILL must not block.
Each fault is injected (always run) and, where the machine lets a test
mount a small tmpfs (root), made real.
"""

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from keras_bvae import cli, files, load
from keras_bvae.runs.lock import lock_folder, lock_holder

# Files of a finished run; the fakes below stand for an earlier run's.
RUN_FILES = (
    "config.json",
    "history.csv",
    "summary.json",
    "model.keras",
    "reconstructions.png",
    "traversals.png",
)


def grey_folder(path, num=8):
    """16x16 grey PNGs of a bright square on black."""
    rng = np.random.default_rng(0)
    os.makedirs(path, exist_ok=True)
    for i in range(num):
        image = np.zeros((16, 16, 1), np.uint8)
        top, left = rng.integers(0, 10, 2)
        image[top : top + 6, left : left + 6] = 255
        tf.io.write_file(str(path / f"{i}.png"), tf.io.encode_png(image))
    return path


def data_args(folder):
    return ["--data", f"folder:{folder}", "--image-size", "16"] + [
        "--channels",
        "1",
        "--batch-size",
        "4",
    ]


def train_args(folder, out):
    return [
        "train",
        "--out",
        str(out),
        *data_args(folder),
        "--latent-dim",
        "2",
        "--epochs",
        "1",
        "--steps-per-epoch",
        "2",
        "--verbose",
        "0",
    ]


def sweep_args(folder, out):
    return ["sweep", "--out", str(out), *data_args(folder)] + (
        "--latent-dims 2 --betas 1 --steps 2 --no-udr".split()
    )


def compare_args(folder, out):
    return ["compare", "--out", str(out), *data_args(folder)] + (
        "--objectives beta_vae --seeds 0 --steps 2 --latent-dim 2 "
        "--metrics unsupervised".split()
    )


def earlier_run(out):
    """Writes stand-ins of an earlier run's files; returns their bytes."""
    os.makedirs(out, exist_ok=True)
    contents = {}
    for name in RUN_FILES:
        contents[name] = f"the earlier run's {name}\n".encode()
        (out / name).write_bytes(contents[name])
    return contents


def files_of(out):
    return {
        name: (out / name).read_bytes()
        for name in RUN_FILES
        if (out / name).exists()
    }


def temporary_files(folder):
    return [
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if ".tmp-" in name
    ]


def fail_writes(monkeypatch, prefix, code=errno.ENOSPC):
    """Makes every atomic write of a file named ``prefix*`` fail."""
    real = files.fsync_file

    def fsync(path):
        if os.path.basename(path).startswith(f".{prefix}"):
            raise OSError(code, os.strerror(code))
        real(path)

    monkeypatch.setattr(files, "fsync_file", fsync)


def one_line_error(err, command):
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert lines[-1].startswith(f"keras-bvae {command}: error: "), err
    return lines[-1]


@pytest.mark.slow
def test_a_failed_final_write_keeps_the_earlier_run_and_resumes(
    tmp_path, monkeypatch, capsys
):
    folder, out = grey_folder(tmp_path / "images"), tmp_path / "run"
    before = earlier_run(out)
    fail_writes(monkeypatch, "model.keras")
    assert cli.main(train_args(folder, out)) == 2
    line = one_line_error(capsys.readouterr().err, "train")
    assert "model.keras: No space left on device" in line
    # The earlier run's six files are untouched; the new run waits in its
    # backup, with no half-written file anywhere.
    assert files_of(out) == before
    state = json.loads((out / "backup" / "state.json").read_text())
    assert state["step"] == 2
    assert temporary_files(out) == []

    monkeypatch.undo()
    assert cli.main(train_args(folder, out)) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_from_step"] == 2  # nothing trained again
    assert json.loads((out / "config.json").read_text())["latent_dim"] == 2
    assert len((out / "history.csv").read_text().splitlines()) == 2
    assert load(str(out)).latent_dim == 2
    assert not (out / "backup").exists()


@pytest.mark.parametrize(
    "args, code",
    [
        (train_args, errno.EACCES),
        (sweep_args, errno.ENOSPC),
        (compare_args, errno.EROFS),
    ],
    ids=["train", "sweep", "compare"],
)
def test_a_failed_first_write_is_one_line_naming_the_path(
    tmp_path, monkeypatch, capsys, args, code
):
    folder, out = grey_folder(tmp_path / "images"), tmp_path / "out"
    command = args.__name__.split("_")[0]
    # The first file a run writes is its config.json (under backup/).
    fail_writes(monkeypatch, "config.json", code)
    assert cli.main(args(folder, out)) == 2
    line = one_line_error(capsys.readouterr().err, command)
    assert f"config.json: {os.strerror(code)}" in line
    assert temporary_files(out) == []


def mount_tmpfs(folder, size):
    """Mounts a tmpfs of ``size`` at ``folder``, or skips the test."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    os.makedirs(folder, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        pytest.skip(f"this machine does not allow a tmpfs mount: {done}")


def cli_in_a_new_process(args):
    return subprocess.run(
        [sys.executable, "-m", "keras_bvae", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
    )


@pytest.mark.slow
def test_a_full_then_read_only_disk_ends_in_one_line(tmp_path, capsys):
    # A 16 MB tmpfs filled to 1 MB short: the run's first backup (weights
    # and Adam state, about 5 MB) cannot be written. Before, h5py left a
    # file HDF5 could not close and the process died of SIGSEGV (exit 139).
    folder, disk = grey_folder(tmp_path / "images"), tmp_path / "disk"
    mount_tmpfs(disk, "16m")
    try:
        out = disk / "run"
        before = earlier_run(out)
        space = os.statvfs(disk)
        free = space.f_bavail * space.f_frsize
        (disk / "filler").write_bytes(b"\0" * (free - 2**20))
        done = cli_in_a_new_process(train_args(folder, out))
        assert done.returncode == 2, done.stderr[-3000:]
        line = one_line_error(done.stderr, "train")
        assert f"{out}/backup/" in line
        assert "No space left on device" in line
        assert files_of(out) == before
        assert temporary_files(disk) == []

        os.remove(disk / "filler")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        assert cli.main(train_args(folder, out)) == 2
        line = one_line_error(capsys.readouterr().err, "train")
        assert f"{out}/" in line and "Read-only file system" in line
        assert files_of(out) == before
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


HOLDER = """
import sys, time
from keras_bvae.runs.lock import lock_folder
with lock_folder(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.slow
def test_a_folder_in_use_is_refused_at_once_until_its_holder_is_killed(
    tmp_path, capsys
):
    folder, out = grey_folder(tmp_path / "images"), tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        for args in (train_args, sweep_args, compare_args):
            started = time.monotonic()
            assert cli.main(args(folder, out)) == 2
            assert time.monotonic() - started < 10
            command = args.__name__.split("_")[0]
            line = one_line_error(capsys.readouterr().err, command)
            assert f"{out} is in use by another run: pid {holder.pid} " in line
            assert f"on host {socket.gethostname()}, started 20" in line
            assert sorted(os.listdir(out)) == [".keras_bvae.lock"]
        holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=30) == -signal.SIGKILL
        # The kernel dropped the dead holder's lock; its name stays in the
        # file but blocks nothing.
        assert lock_holder(str(out))["pid"] == holder.pid
        assert cli.main(train_args(folder, out)) == 0
        assert (out / "model.keras").exists()
        assert lock_holder(str(out)) is None  # released on success
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_the_lock_is_reentrant_and_names_its_holder(tmp_path):
    with lock_folder(str(tmp_path / "out")) as path:
        holder = lock_holder(str(tmp_path / "out"))
        assert holder["pid"] == os.getpid()
        assert holder["host"] == socket.gethostname()
        # run_comparison holds it around run_sweep on the same folder.
        with lock_folder(str(tmp_path / "out")):
            pass
        assert lock_holder(str(tmp_path / "out"))["pid"] == os.getpid()
    assert os.path.basename(path) == ".keras_bvae.lock"
    assert lock_holder(str(tmp_path / "out")) is None
