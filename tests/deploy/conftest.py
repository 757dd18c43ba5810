"""The deploy targets' fixtures (tests/deploy/remotes.py) for every test in this folder."""
from tests.deploy.remotes import folder_remote, rsync_remote, s3_remote, s3_server, sshd  # noqa: F401
