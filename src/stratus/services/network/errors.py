"""Network domain errors, named and worded as neutron-lib's exceptions so clients that match
on ``NeutronError.type`` (openstacksdk, Tempest, Nova) see what they expect."""

from stratus.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
)


class InvalidInput(BadRequest):
    def __init__(self, message: str) -> None:
        super().__init__(f"Invalid input for operation: {message}.")


class HTTPBadRequest(BadRequest):
    """Attribute validation failures, worded as neutron's API layer words them."""


class PolicyNotAuthorized(Forbidden):
    def __init__(self, rule: str) -> None:
        super().__init__(f"({rule}) is disallowed by policy")


class ResourceNotFound(NotFound):
    neutron_type = "NotFound"


class NetworkNotFound(NotFound):
    def __init__(self, net_id: str) -> None:
        super().__init__(f"Network {net_id} could not be found.")


class SubnetNotFound(NotFound):
    def __init__(self, subnet_id: str) -> None:
        super().__init__(f"Subnet {subnet_id} could not be found.")


class PortNotFound(NotFound):
    def __init__(self, port_id: str) -> None:
        super().__init__(f"Port {port_id} could not be found.")


class SegmentNotFound(NotFound):
    def __init__(self, segment_id: str) -> None:
        super().__init__(f"Segment {segment_id} could not be found.")


class SecurityGroupNotFound(NotFound):
    def __init__(self, sg_id: str) -> None:
        super().__init__(f"Security group {sg_id} does not exist")


class SecurityGroupRuleNotFound(NotFound):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"Security group rule {rule_id} does not exist")


class RouterNotFound(NotFound):
    def __init__(self, router_id: str) -> None:
        super().__init__(f"Router {router_id} could not be found")


class FloatingIPNotFound(NotFound):
    def __init__(self, fip_id: str) -> None:
        super().__init__(f"Floating IP {fip_id} could not be found")


class RbacPolicyNotFound(NotFound):
    def __init__(self, policy_id: str, object_type: str = "") -> None:
        super().__init__(f"RBAC policy with type {object_type} and id {policy_id} not found")


class AgentNotFound(NotFound):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"Agent {agent_id} could not be found.")


class TagNotFound(NotFound):
    def __init__(self, resource_id: str, tag: str) -> None:
        super().__init__(f"Tag {tag} could not be found for resource {resource_id}.")


class RouterInterfaceNotFound(NotFound):
    def __init__(self, router_id: str, what: str) -> None:
        super().__init__(f"Router {router_id} does not have an interface with {what}")


class ExternalGatewayForFloatingIPNotFound(NotFound):
    def __init__(self, subnet_id: str, external_network_id: str, port_id: str) -> None:
        super().__init__(
            f"External network {external_network_id} is not reachable from subnet "
            f"{subnet_id}.  Therefore, cannot associate Port {port_id} with a Floating IP."
        )


class NetworkInUse(Conflict):
    def __init__(self, net_id: str) -> None:
        super().__init__(
            f"Unable to complete operation on network {net_id}. "
            "There are one or more ports still in use on the network."
        )


class SubnetInUse(Conflict):
    def __init__(self, subnet_id: str, reason: str | None = None) -> None:
        super().__init__(
            f"Unable to complete operation on subnet {subnet_id}: "
            f"{reason or 'One or more ports have an IP allocation from this subnet.'}"
        )


class PortInUse(Conflict):
    def __init__(self, port_id: str, net_id: str, device_id: str) -> None:
        super().__init__(
            f"Unable to complete operation on port {port_id} for network {net_id}. "
            f"Port already has an attached device {device_id}."
        )


class IpAddressInUse(Conflict):
    def __init__(self, net_id: str, ip: str) -> None:
        super().__init__(
            f"Unable to complete operation for network {net_id}. The IP address {ip} is in use."
        )


class MacAddressInUse(Conflict):
    def __init__(self, net_id: str, mac: str) -> None:
        super().__init__(
            f"Unable to complete operation for network {net_id}. The mac address {mac} is in use."
        )


class IpAddressGenerationFailure(Conflict):
    def __init__(self, net_id: str) -> None:
        super().__init__(f"No more IP addresses available on network {net_id}.")


class MacAddressGenerationFailure(ServiceUnavailable):
    def __init__(self, net_id: str) -> None:
        super().__init__(f"Unable to generate unique mac on network {net_id}.")


class NoNetworkAvailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "Unable to create the network. No tenant network is available for allocation."
        )


class SegmentationIdInUse(Conflict):
    neutron_type = "VlanIdInUse"

    def __init__(self, network_type: str, seg_id: int | None, physnet: str | None) -> None:
        if network_type == "flat":
            self.neutron_type = "FlatNetworkInUse"
            super().__init__(
                f"Unable to create the flat network. Physical network {physnet} is in use."
            )
        elif network_type == "vlan":
            super().__init__(
                f"Unable to create the network. The VLAN {seg_id} on physical network "
                f"{physnet} is in use."
            )
        else:
            self.neutron_type = "TunnelIdInUse"
            super().__init__(f"Unable to create the network. The tunnel ID {seg_id} is in use.")


class OverQuota(Conflict):
    def __init__(self, resource: str) -> None:
        super().__init__(f"Quota exceeded for resources: ['{resource}'].")


class SecurityGroupInUse(Conflict):
    def __init__(self, sg_id: str) -> None:
        super().__init__(f"Security Group {sg_id} in use.")


class SecurityGroupCannotRemoveDefault(Conflict):
    def __init__(self) -> None:
        super().__init__("Insufficient rights for removing default security group.")


class SecurityGroupRuleExists(Conflict):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"Security group rule already exists. Rule id is {rule_id}.")


class RouterInUse(Conflict):
    def __init__(self, router_id: str, reason: str = "still has ports") -> None:
        super().__init__(f"Router {router_id} {reason}")


class RouterInterfaceInUseByFloatingIP(Conflict):
    def __init__(self, router_id: str, subnet_id: str) -> None:
        super().__init__(
            f"Router interface for subnet {subnet_id} on router {router_id} cannot be "
            "deleted, as it is required by one or more floating IPs."
        )


class FloatingIPPortAlreadyAssociated(Conflict):
    def __init__(self, port_id: str, fip_id: str, fixed_ip: str) -> None:
        super().__init__(
            f"Cannot associate floating IP with port {port_id} using fixed IP {fixed_ip}, "
            f"as that fixed IP already has a floating IP on external network: {fip_id}."
        )


class InUse(Conflict):
    pass


class RbacPolicyInUse(Conflict):
    def __init__(self, object_id: str, details: str) -> None:
        super().__init__(
            f"RBAC policy on object {object_id} cannot be removed because other objects "
            f"depend on it.\nDetails: {details}"
        )


class RevisionNumberConstraintFailed(PreconditionFailed):
    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"Constrained to {expected}, but current revision is {current}")
