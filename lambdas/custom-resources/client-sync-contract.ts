// What the construct hands the client-sync custom resource, and the shape of a client secret in Secrets Manager.
import type { ClientRegistration } from '../core/model.js';

/** A client as declared in CDK: its registration and, for a confidential client, where its secret is. */
export interface DeclaredClient extends ClientRegistration {
  /** ARN of the Secrets Manager secret holding the client secret; absent for public clients. */
  readonly secretArn?: string;
}

/**
 * Resource properties. CloudFormation turns every scalar into a string, so the clients travel as
 * one JSON document and come back with their booleans intact.
 */
export interface ClientSyncProperties {
  readonly TableName: string;
  /** JSON array of `DeclaredClient`. */
  readonly Clients: string;
  /**
   * How the secrets are generated. It changes together with the secrets' generation settings, so the
   * sync runs again and re-hashes whenever CloudFormation regenerates them.
   */
  readonly SecretGeneration: string;
}

/** The secret is a JSON object; this field holds the client secret, `clientId` sits next to it. */
export const CLIENT_SECRET_FIELD = 'clientSecret';
