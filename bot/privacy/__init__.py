"""Personal data: masking it in what is stored, erasure on request, and retention."""
