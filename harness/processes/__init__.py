"""The real processes the probes start and always stop: ASGI servers (uvicorn, daphne, hypercorn) and services
(PostgreSQL, Redis, memcached), each on 127.0.0.1 or a private socket, ended by PID."""
