"""What the agent sees: tray menu and icons, graphs and the graph window."""
