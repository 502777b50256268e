// Acknowledges cdk-nag AwsSolutions findings that follow from the design, at the construct that decides them.
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Uses CDK's own `Validations` API, so the library needs no cdk-nag dependency; each acknowledgement
 * carries its reason into the assembly's metadata, where cdk-nag and auditors read it.
 */
export function acknowledgeNagRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}
