"""What the network learns: the foresight report (counted in SQL, then drawn and written as files) and synthetic demo data."""
