"""The running daemon: composition, controller, camera session, status, command channel."""
