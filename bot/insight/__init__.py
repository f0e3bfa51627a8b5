"""What the network learns: the foresight report and synthetic demo data."""
