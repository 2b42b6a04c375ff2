"""trayagent: per-call stress at a glance for contact-center agents."""

__version__ = "0.1.0"
