import { Construct } from "constructs";
import { ServerlessStack, ServerlessStackProps } from "../../constructs/serverless-stack";

export type KinesisIngestStackProps = ServerlessStackProps;

/** Seed 000. (Placeholder: being built.) */
export class KinesisIngestStack extends ServerlessStack {
  constructor(scope: Construct, id: string, props: KinesisIngestStackProps) {
    super(scope, id, props);
  }
}
