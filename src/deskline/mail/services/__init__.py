"""The email channel: intake (store, then process), threading, loops, outbound."""
