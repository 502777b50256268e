// A deployed Lambda's AWS credentials: its execution role's, which the runtime puts in the environment. The Lambda
// bundles use this in place of the SDK's default provider chain (scripts/build.ts): the chain's other sources
// (profiles, SSO, web identity, container and instance metadata) never apply there, and weigh over 100 KB.

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Same signature as the SDK's `defaultProvider`; the environment is read on each call, as the SDK's is. */
export const defaultProvider = (_init?: unknown) => async (): Promise<Credentials> => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error('No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).');
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
};
