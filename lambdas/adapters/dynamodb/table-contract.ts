// The shape of a workspace table, shared by the adapter and the CDK construct; no imports, so the construct loads no SDK.

/** The only key attribute (a string): the table is addressed by item key alone, see keys.ts. */
export const PARTITION_KEY = 'pk';
/** Epoch seconds after which DynamoDB may delete the item; the store never relies on it happening. */
export const TTL_ATTRIBUTE = 'ttl';
