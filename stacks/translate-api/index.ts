import { Construct } from "constructs";
import { ServerlessStack, ServerlessStackProps } from "../../constructs/serverless-stack";

export type TranslateApiStackProps = ServerlessStackProps;

/** Seed 004. (Placeholder: being built.) */
export class TranslateApiStack extends ServerlessStack {
  constructor(scope: Construct, id: string, props: TranslateApiStackProps) {
    super(scope, id, props);
  }
}
