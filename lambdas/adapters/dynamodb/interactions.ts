// The DynamoDB InteractionStore: authorization transactions, browser sessions and remembered consent.
import type { ConsentRecord, SessionRecord, TransactionRecord, UserRecord } from '../../core/model.js';
import type { InteractionStore, SignedInQuery, SignedInState } from '../../core/ports/storage.js';
import { deleteOf, expiringItem, ITEM_LIVE, live, putOf, recordOf, type Table, updateOf } from './items.js';
import { keys } from './keys.js';

export class DynamoInteractionStore implements InteractionStore {
  constructor(private readonly table: Table) {}

  async putTransaction(txn: TransactionRecord): Promise<void> {
    await this.table.write({ transaction: putOf(expiringItem(keys.transaction(txn.id), txn)) });
  }

  async getTransaction(id: string, now: number): Promise<TransactionRecord | undefined> {
    return live(recordOf<TransactionRecord>(await this.table.get(keys.transaction(id))), now);
  }

  async recordLogin(txnId: string, session: SessionRecord, now: number): Promise<void> {
    await this.table.write({
      transaction: updateOf(keys.transaction(txnId), {
        UpdateExpression: 'SET #sub = :sub, authTime = :authTime, sessionHash = :sessionHash',
        ConditionExpression: ITEM_LIVE,
        ExpressionAttributeNames: { '#sub': 'sub' },
        ExpressionAttributeValues: {
          ':sub': session.sub,
          ':authTime': session.authTime,
          ':sessionHash': session.idHash,
          ':now': now,
        },
      }),
      // Unconditional: logging in again with the same session cookie simply refreshes the session.
      session: putOf(expiringItem(keys.session(session.idHash), session)),
    });
  }

  async forgetLogin(txnId: string, now: number): Promise<void> {
    await this.table.write({
      transaction: updateOf(keys.transaction(txnId), {
        UpdateExpression: 'REMOVE #sub, authTime, sessionHash',
        ConditionExpression: ITEM_LIVE,
        ExpressionAttributeNames: { '#sub': 'sub' },
        ExpressionAttributeValues: { ':now': now },
      }),
    });
  }

  async discardTransaction(txnId: string, now: number): Promise<void> {
    await this.table.write({
      transaction: deleteOf(keys.transaction(txnId), {
        ConditionExpression: ITEM_LIVE,
        ExpressionAttributeValues: { ':now': now },
      }),
    });
  }

  async getSession(idHash: string, now: number): Promise<SessionRecord | undefined> {
    return live(recordOf<SessionRecord>(await this.table.get(keys.session(idHash))), now);
  }

  async endSession(idHash: string): Promise<void> {
    await this.table.write({ session: deleteOf(keys.session(idHash)) });
  }

  async getConsent(sub: string, clientId: string): Promise<ConsentRecord | undefined> {
    return recordOf<ConsentRecord>(await this.table.get(keys.consent(sub, clientId)));
  }

  /** One GetItem for a single key, one BatchGetItem for several: the same round trip either way. */
  async signedInState(query: SignedInQuery, now: number): Promise<SignedInState> {
    const sessionKey = query.sessionHash === undefined ? undefined : keys.session(query.sessionHash);
    const userKey = keys.user(query.sub);
    const consentKey = query.consentClientId === undefined ? undefined : keys.consent(query.sub, query.consentClientId);
    const wanted = [sessionKey, userKey, consentKey].filter((key) => key !== undefined);
    const items =
      wanted.length === 1 ? new Map([[userKey, await this.table.get(userKey)]]) : await this.table.getMany(wanted);
    const session = sessionKey === undefined ? undefined : live(recordOf<SessionRecord>(items.get(sessionKey)), now);
    const user = recordOf<UserRecord>(items.get(userKey));
    const consent = consentKey === undefined ? undefined : recordOf<ConsentRecord>(items.get(consentKey));
    return {
      ...(session !== undefined && { session }),
      ...(user !== undefined && { user }),
      ...(consent !== undefined && { consent }),
    };
  }
}
