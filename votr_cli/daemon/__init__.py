"""The daemon: a Huey consumer on queue.db that finalises each poll at its deadline.

`heartbeat` is cheap to import (the CLI reads it to say whether a daemon is
alive); `queue`, `consumer` and `runner` load Huey and are imported only by
commands that schedule or run closes.
"""
