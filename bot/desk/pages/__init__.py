"""The desk's pages, one module per kind of visitor: signing in, a mentor's work, the coordinator's."""
