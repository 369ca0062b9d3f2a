"""Local Asterisk 22 sandbox: a cached Debian chroot, rendered config per instance, a supervised process."""
