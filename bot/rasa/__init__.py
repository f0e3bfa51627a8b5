"""What runs inside Rasa's processes: the Rasa server's entry point and its patches, the guarded input channels, the masking tracker store, and the action server."""
