// Every item of a test workspace's table, to show that a request changed nothing.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { TestStore } from './dynamo.js';

/** All items, sorted by key, as one comparable value (paged, so a large table is read whole). */
export async function tableSnapshot(store: Pick<TestStore, 'doc' | 'tableName'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await store.doc.send(
      new ScanCommand({ TableName: store.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items.sort((a, b) => String(a.pk).localeCompare(String(b.pk)));
}
