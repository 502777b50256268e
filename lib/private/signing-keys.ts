// The workspace's KMS signing keys, and who may use them: the key policy is the boundary, not IAM alone.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { kmsSigningAlgorithm } from '../../lambdas/adapters/kms/signing-algorithm.js';
import type { SigningAlg } from '../../lambdas/core/ports/signing.js';

export const KEY_SPEC: Readonly<Record<SigningAlg, kms.KeySpec>> = {
  RS256: kms.KeySpec.RSA_2048,
  PS256: kms.KeySpec.RSA_2048,
  ES256: kms.KeySpec.ECC_NIST_P256,
};

/** A key created by this construct (whose policy it writes) or one passed in (whose policy is its owner's). */
export interface SigningKeyEntry {
  readonly key: kms.IKey;
  readonly owned: boolean;
}

export function createSigningKey(
  scope: Construct,
  name: string,
  algorithm: SigningAlg,
  label: string,
  removalPolicy: RemovalPolicy,
): kms.Key {
  return new kms.Key(scope, `SigningKey-${name}`, {
    description: `Token signing key "${name}" (${algorithm}) of workspace ${label}`,
    keySpec: KEY_SPEC[algorithm],
    keyUsage: kms.KeyUsage.SIGN_VERIFY,
    // The longest window: a key deleted by mistake can be recovered while tokens still reference it.
    pendingWindow: Duration.days(30),
    removalPolicy,
  });
}

export interface KeyAccessProps {
  readonly keys: readonly SigningKeyEntry[];
  readonly active: SigningKeyEntry;
  readonly algorithm: SigningAlg;
  /** Roles that read the public keys (to publish them or verify tokens). */
  readonly readers: readonly iam.IRole[];
  /** The one role that signs: the token endpoint's. */
  readonly signer: iam.IRole;
}

/**
 * Owned keys: the key policy keeps administration with the account (CDK's default statement) and grants the
 * functions' roles by `aws:PrincipalArn` (no identity policy, so the roles never reference the keys), and
 * denies `kms:Sign` to every other principal, so an administrator or CI role with `kms:*` on `*` cannot mint
 * tokens. Keys passed in keep their owner's policy; the roles get identity policies for them instead.
 */
export function grantKeyAccess(props: KeyAccessProps): void {
  const signConditions = {
    StringEquals: {
      'kms:SigningAlgorithm': kmsSigningAlgorithm[props.algorithm],
      'kms:MessageType': 'DIGEST',
    },
  };
  const readerArns = props.readers.map((role) => role.roleArn);
  for (const entry of props.keys) {
    const isActive = entry === props.active;
    if (entry.owned) {
      entry.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'PublicKeyForTheWorkspaceFunctions',
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:GetPublicKey'],
          resources: ['*'],
          conditions: { ArnEquals: { 'aws:PrincipalArn': readerArns } },
        }),
      );
      if (isActive) {
        entry.key.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'SignAsTheTokenEndpoint',
            principals: [new iam.AnyPrincipal()],
            actions: ['kms:Sign'],
            resources: ['*'],
            conditions: { ...signConditions, ArnEquals: { 'aws:PrincipalArn': props.signer.roleArn } },
          }),
        );
      }
      entry.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'NoOneElseSigns',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.signer.roleArn } },
        }),
      );
    } else {
      for (const role of props.readers)
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [entry.key.keyArn] }),
        );
      if (isActive)
        props.signer.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['kms:Sign'], resources: [entry.key.keyArn], conditions: signConditions }),
        );
    }
  }
}
