// AWS credentials for the lean clients: a provider is called before each request, so rotated credentials are seen.

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What the clients call for credentials; the admin CLI passes the SDK's provider chain, which has this shape. */
export type CredentialProvider = () => Promise<AwsCredentials>;

/**
 * A deployed Lambda's credentials: its execution role's, which the runtime puts in the environment. The
 * environment is read on each call, as the SDK's environment provider reads it.
 */
export const environmentCredentials: CredentialProvider = async () => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error('No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).');
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
};

/** DynamoDB Local ignores credentials, but every request is signed all the same. */
export const LOCAL_CREDENTIALS: CredentialProvider = async () => ({ accessKeyId: 'local', secretAccessKey: 'local' });
