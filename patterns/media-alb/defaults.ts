/** media-alb's default settings, in one place; a user's props are merged over them (`consolidateProps`). */
import type { MediaAlbTableProps } from "./media-endpoint";

export const MEDIA_ALB_DEFAULTS = {
  /** The seed's host `api-lb.nightonly.com`. */
  hostLabel: "api-lb",
  /** TLS 1.2 and 1.3 only (the seed took the console's default). */
  sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
  /** The seed turns the load balancer's deletion protection on. */
  deletionProtection: true,
  /** Per function: 250 requests/s x 0.2 s x 2 = 100 for the two, a tenth of the default 1,000 limit. */
  reservedConcurrentExecutions: 50,
  accessLogExpirationDays: 90,
  /** Empty: pages of the zone, `https://<zone>` and `https://*.<zone>`. */
  allowedOrigins: "",
  /** On-demand: the seed does not say, and a read API with spiky traffic is what on-demand is for. */
  table: { billingMode: "PAY_PER_REQUEST" } satisfies MediaAlbTableProps,
} as const;
