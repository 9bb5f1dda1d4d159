"""Compute domain errors, with nova's messages."""

from stratus.kit.errors import BadRequest, Conflict, Forbidden, NotFound


class FlavorNotFound(NotFound):
    def __init__(self, flavor_id: str) -> None:
        super().__init__(f"Flavor {flavor_id} could not be found.")


class FlavorExists(Conflict):
    pass


class FlavorExtraSpecNotFound(NotFound):
    def __init__(self, flavor_id: str, key: str) -> None:
        super().__init__(f"Flavor {flavor_id} has no extra specs with key {key}.")


class KeyPairNotFound(NotFound):
    def __init__(self, name: str, user_id: str) -> None:
        super().__init__(f"Keypair {name} not found for user {user_id}")


class KeyPairExists(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"Key pair '{name}' already exists.")


class InvalidKeypair(BadRequest):
    pass


class ServerNotFound(NotFound):
    def __init__(self, server_id: str) -> None:
        super().__init__(f"Instance {server_id} could not be found.")


class InstanceInvalidState(Conflict):
    def __init__(self, action: str, server_id: str, attr: str, state: str | None) -> None:
        super().__init__(f"Cannot '{action}' instance {server_id} while it is in {attr} {state}")


class HypervisorNotFound(NotFound):
    def __init__(self, ident: str) -> None:
        super().__init__(f"Hypervisor with ID '{ident}' could not be found.")


class ServiceNotFound(NotFound):
    def __init__(self, ident: str) -> None:
        super().__init__(f"Service {ident} could not be found.")


class ComputeQuotaExceeded(Forbidden):
    pass
