"""Live webcam feedback: capture thread, processing session, display."""
