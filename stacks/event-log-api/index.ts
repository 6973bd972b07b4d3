import { Construct } from "constructs";
import { ServerlessStack, ServerlessStackProps } from "../../constructs/serverless-stack";

export type EventLogApiStackProps = ServerlessStackProps;

/** Seed 001. (Placeholder: being built.) */
export class EventLogApiStack extends ServerlessStack {
  constructor(scope: Construct, id: string, props: EventLogApiStackProps) {
    super(scope, id, props);
  }
}
