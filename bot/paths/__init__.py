"""Competence paths: the offerings catalogue, its sync from Opintopolku (konfo), drafting a path across partners, and its evaluation."""
