// The workspace's identity sources in CDK: checked at synth time, each with its client secret in Secrets Manager.
import { type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  checkIdentitySource,
  checkIdentitySources,
  registrationOfSource,
  type IdentitySourceRegistration,
} from '../../lambdas/core/federation/identity-sources.js';
import { FieldChecker } from '../../lambdas/core/registration/field-checker.js';
import type { SourceEnvironment } from '../../lambdas/handlers/environment-contract.js';
import { acknowledgeNagRule } from './nag.js';
import { PropError } from './validation.js';

/** How our client authenticates at an identity source's token endpoint. */
export enum UpstreamAuthMethod {
  /** The client secret in the `Authorization: Basic` header. */
  CLIENT_SECRET_BASIC = 'client_secret_basic',
  /** The client secret in the form body. */
  CLIENT_SECRET_POST = 'client_secret_post',
}

/** An upstream OpenID provider of the workspace (SPEC §3): where its users may sign in instead of with a password. */
export interface IdentitySourceProps {
  /** Names the source in its button, its links and its users: 1-63 of `a-z`, `0-9`, `-`. */
  readonly id: string;
  /** What the login page's button says: "Continue with {name}". */
  readonly name: string;
  /** Only `oidc` (OpenID Connect, discovered from `issuer`). */
  readonly type: string;
  /** The upstream issuer, exactly as its ID tokens carry it: https (http only on localhost). */
  readonly issuer: string;
  /** Our client id at the upstream provider. */
  readonly clientId: string;
  /** How our client authenticates at the upstream token endpoint. @default UpstreamAuthMethod.CLIENT_SECRET_BASIC */
  readonly tokenEndpointAuthMethod?: UpstreamAuthMethod;
  /** Scopes asked of the upstream provider; must include `openid`. @default ['openid', 'email', 'profile'] */
  readonly scopes?: string[];
  /**
   * Local claim name → upstream claim name, copied at every sign-in from the ID token, or from the provider's
   * UserInfo when the ID token lacks it.
   * @default - the standard profile and email claims under their own names
   */
  readonly claims?: { [localClaim: string]: string };
  /**
   * The Secrets Manager secret holding our client secret at the source: JSON with a `clientSecret` field, or the
   * secret itself as plain text. Read by the consent function at run time; never in the template or environment.
   * @default - a secret the construct creates (JSON `{ clientId, clientSecret }` with a random placeholder): put the
   *   client secret the provider gave you into its `clientSecret` field
   */
  readonly clientSecret?: secretsmanager.ISecret;
}

/** The core's registration of a source, once checked: `type` was checked to be `oidc`. */
const registrationOf = (source: IdentitySourceProps): IdentitySourceRegistration =>
  source as IdentitySourceRegistration;

const isSecret = (value: unknown): value is secretsmanager.ISecret =>
  typeof value === 'object' && value !== null && typeof (value as { secretArn?: unknown }).secretArn === 'string';

/** Checks the sources and gives each its secret; `environmentValue` is what `IDENTITY_SOURCES` holds. */
export class IdentitySources extends Construct {
  /** By source id. */
  readonly secrets: Readonly<Record<string, secretsmanager.ISecret>>;
  /** `IDENTITY_SOURCES` (registrations and secret ARNs), or undefined without sources. */
  readonly environmentValue: string | undefined;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly sources: readonly IdentitySourceProps[];
      readonly builtInUsers: boolean | undefined;
      readonly workspaceLabel: string;
      readonly removalPolicy: RemovalPolicy;
    },
  ) {
    super(scope, id);
    const c = new FieldChecker(Token.isUnresolved);
    if (!Array.isArray(props.sources)) throw new PropError('identitySources', 'must be an array.');
    props.sources.forEach((source, i) => {
      const path = `identitySources[${i}]`;
      const f = checkIdentitySource(c, source, path, ['clientSecret']);
      if (f?.clientSecret !== undefined && !isSecret(f.clientSecret))
        c.report(`${path}.clientSecret`, 'must be a Secrets Manager secret: secrets never go into a template');
    });
    checkIdentitySources(c, props.sources, props.builtInUsers, '(props)');
    const [first] = c.problems;
    if (first) throw new PropError(first.field.replace(/^\(props\)\./, ''), `${first.problem}.`);

    const secrets: Record<string, secretsmanager.ISecret> = {};
    const listed: SourceEnvironment[] = props.sources.map((source) => {
      const secret =
        source.clientSecret ?? this.createSecret(registrationOf(source), props.workspaceLabel, props.removalPolicy);
      secrets[source.id] = secret;
      return { ...registrationOfSource(registrationOf(source)), secretArn: secret.secretArn };
    });
    this.secrets = secrets;
    this.environmentValue = listed.length ? Stack.of(this).toJsonString(listed) : undefined;
  }

  /** Lets `role` read every source's secret, and nothing else. */
  grantRead(role: iam.IGrantable): void {
    for (const secret of Object.values(this.secrets)) secret.grantRead(role);
  }

  private createSecret(source: IdentitySourceRegistration, label: string, removalPolicy: RemovalPolicy) {
    const secret = new secretsmanager.Secret(this, `Secret-${source.id}`, {
      description: `Client secret of workspace ${label} at identity source ${source.id}: set its clientSecret field`,
      removalPolicy,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ clientId: source.clientId }),
        generateStringKey: 'clientSecret',
        excludePunctuation: true,
      },
    });
    acknowledgeNagRule(
      secret,
      'SMG4',
      'The secret is issued by the upstream identity provider; it changes when the provider rotates it, not on a ' +
        'Secrets Manager schedule that could not tell the provider.',
    );
    return secret;
  }
}
