/**
 * Where the load balancer lives: the given VPC and subnets, or the default VPC and
 * its subnets (the seed's three AZs), and the security group AllowHttpGroup.
 * A function, not a construct: its resources sit directly in the pattern, at the
 * addresses the stack had before the pattern existed.
 */
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Pattern } from "../../blocks/pattern";

export interface AlbNetwork {
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly securityGroup: SecurityGroup;
  /** HTTP and HTTPS from anywhere, IPv4 and IPv6: four rules. */
  readonly ingressRules: VpcSecurityGroupIngressRule[];
}

export function albNetwork(pattern: Pattern, props: { readonly vpcId?: string; readonly subnetIds?: readonly string[] }): AlbNetwork {
  const vpcId = props.vpcId ?? new DataAwsVpc(pattern, "vpc", { default: true }).id;
  const subnetIds = props.subnetIds
    ? [...props.subnetIds]
    : new DataAwsSubnets(pattern, "subnets", {
        filter: [
          { name: "vpc-id", values: [vpcId] },
          // The default VPC's public subnets (one per AZ); subnets added to it later are left out.
          ...(props.vpcId ? [] : [{ name: "default-for-az", values: ["true"] }]),
        ],
      }).ids;

  // Standalone rule resources, not inline blocks: one rule per CIDR as AWS stores them, each
  // added or removed without rewriting the others, and no fight with rules added elsewhere.
  // (The seed's list repeats HTTP/IPv4 and HTTPS/IPv6: a transcription slip; the intent,
  // HTTP and HTTPS in from everywhere, is kept. Its egress rule is removed: see below.)
  const securityGroup = new SecurityGroup(pattern, "security_group", {
    name: pattern.name("AllowHttpGroup"),
    description: "Allow HTTP/HTTPS security group",
    vpcId,
  });
  const anywhere = { ipv4: { cidrIpv4: "0.0.0.0/0" }, ipv6: { cidrIpv6: "::/0" } } as const;
  const ingressRules: VpcSecurityGroupIngressRule[] = [];
  for (const [protocol, port] of [["http", 80], ["https", 443]] as const) {
    for (const [family, cidr] of Object.entries(anywhere)) {
      ingressRules.push(
        new VpcSecurityGroupIngressRule(pattern, `${protocol}_${family}_ingress`, {
          securityGroupId: securityGroup.id,
          description: `${protocol.toUpperCase()} from anywhere (${family})`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          ...cidr,
        }),
      );
    }
  }
  // Fix: no egress rule (the seed allows all traffic out). The ALB invokes its Lambda targets through the
  // Lambda API, not over a network connection, so its security group needs no outbound rule (Elastic Load
  // Balancing guide, "Lambda functions as targets"); Terraform removes the all-out rule AWS adds to a new group.
  return { vpcId, subnetIds, securityGroup, ingressRules };
}
