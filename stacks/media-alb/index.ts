import { Construct } from "constructs";
import { ServerlessStack, ServerlessStackProps } from "../../constructs/serverless-stack";

export type MediaAlbStackProps = ServerlessStackProps;

/** Seed 003. (Placeholder: being built.) */
export class MediaAlbStack extends ServerlessStack {
  constructor(scope: Construct, id: string, props: MediaAlbStackProps) {
    super(scope, id, props);
  }
}
