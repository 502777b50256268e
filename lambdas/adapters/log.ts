// Structured JSON logs, one line per event. Callers pass identifiers and outcomes, never secrets.
import type { AuditSink } from '../core/ports/audit.js';

type Fields = Record<string, unknown>;

function write(level: 'info' | 'warn' | 'error', message: string, fields: Fields): void {
  if (process.env.AUTHZ_LOG === 'off') return;
  const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...fields });
  (level === 'error' ? console.error : console.log)(line);
}

export const log = {
  info: (message: string, fields: Fields = {}) => write('info', message, fields),
  warn: (message: string, fields: Fields = {}) => write('warn', message, fields),
  error: (message: string, fields: Fields = {}) => write('error', message, fields),
};

/** Audit events as log lines; each carries the workspace, deployed or local, so one log query can span workspaces. */
export function auditLog(tenantId: string, workspaceId: string): AuditSink {
  return { emit: (type, fields) => log.info('audit', { event: type, tenantId, workspaceId, ...fields }) };
}
