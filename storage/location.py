"""Warns when a bank sits where SQLite's locking or WAL can break (network or sync folders)."""

from __future__ import annotations

from pathlib import Path

NETWORK_FS = ("nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs", "davfs",
              "fuse.rclone", "afpfs", "9p")
SYNC_FOLDERS = ("dropbox", "onedrive", "icloud", "icloud drive", "google drive", "googledrive",
                "nextcloud", "owncloud", "syncthing", "mega", "box sync", "pcloud")


def _mount_type(path: Path, mounts_text: str) -> str | None:
    best, best_type = "", None
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point, fs_type = parts[1], parts[2]
        if (str(path) == mount_point or str(path).startswith(mount_point.rstrip("/") + "/")) \
                and len(mount_point) > len(best):
            best, best_type = mount_point, fs_type
    return best_type


def location_warning(home: Path, mounts_text: str | None = None) -> str | None:
    """A sentence to show the person, or None when the location looks safe."""
    home = Path(home).expanduser().resolve()
    lowered = [part.lower() for part in home.parts]
    for name in SYNC_FOLDERS:
        if name in lowered:
            return (f"{home} looks like a cloud-sync folder ({name}); sync tools copy the database "
                    "without its WAL and can corrupt it — keep the bank outside and use "
                    "`secondme backup` instead")
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text()
        except OSError:
            return None
    fs_type = _mount_type(home, mounts_text)
    if fs_type and fs_type.lower() in NETWORK_FS:
        return (f"{home} is on a network filesystem ({fs_type}); SQLite's locking is unreliable "
                "there — keep the bank on a local disk")
    return None
