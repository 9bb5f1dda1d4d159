"""Object storage (Swift v1): accounts, containers, objects and the middleware behaviours."""
