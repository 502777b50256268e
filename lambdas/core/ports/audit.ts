// Where security-relevant events (logins, consent, token issuance, replays, sign-outs) are reported.

export type AuditEventType =
  | 'login.succeeded'
  | 'login.failed'
  | 'login.throttled'
  | 'client.throttled'
  | 'consent.granted'
  | 'consent.denied'
  | 'token.issued'
  | 'token.revoked'
  | 'code.replayed'
  | 'refresh.replayed'
  | 'assertion.replayed'
  | 'session.ended'
  | 'federation.started'
  | 'federation.userinfo_failed'
  | 'user.linked';

/** Where audit events go (structured logs in Lambda). Fields carry ids and outcomes, never secrets. */
export interface AuditSink {
  emit(type: AuditEventType, fields: Readonly<Record<string, string | number | boolean | undefined>>): void;
}
