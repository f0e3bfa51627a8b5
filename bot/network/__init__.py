"""The network: partners, mentors, areas and what each serves (the network file, checked and reloaded live), the need taxonomy, municipalities, and routing a case to a mentor."""
