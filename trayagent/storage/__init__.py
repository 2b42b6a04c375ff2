"""What trayagent keeps on disk: private files and the calls store."""
