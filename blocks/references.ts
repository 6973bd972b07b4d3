/**
 * What a pattern needs of a resource the user already has (`existingTable`,
 * `existingStream`, `existingQueue`): its name and ARN (and a queue's URL). The
 * provider's own classes fit these shapes, so the resource itself will do, as will
 * plain values or tokens (`{ name: "orders", arn: "arn:aws:dynamodb:..." }`).
 * With one given, the pattern creates none of that kind and grants IAM on that ARN only.
 */

export interface TableRef {
  readonly name: string;
  readonly arn: string;
}

export interface StreamRef {
  readonly name: string;
  readonly arn: string;
}

export interface QueueRef {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
}
