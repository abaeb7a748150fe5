"""What the probes observe with: the HTTP and WebSocket clients, concurrency bursts, the loop-stall meter, the
in-process async API observer, the delays injected into I/O and the work log of which thread did what."""
