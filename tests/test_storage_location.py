from pathlib import Path

from storage.location import location_warning

MOUNTS = "/dev/vda / ext4 rw 0 0\nserver:/export /mnt/nas nfs4 rw 0 0\n"


def test_local_disk_is_fine():
    assert location_warning(Path("/home/ana/.local/share/secondme"), MOUNTS) is None


def test_network_mount_warns():
    assert "network filesystem" in location_warning(Path("/mnt/nas/secondme"), MOUNTS)


def test_sync_folder_warns():
    assert "cloud-sync" in location_warning(Path("/home/ana/Dropbox/secondme"), MOUNTS)
