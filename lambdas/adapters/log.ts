// Structured JSON logs, one line per event. Callers pass identifiers and outcomes, never secrets.
import type { AuditSink } from '../core/ports/audit.js';

type Fields = Record<string, unknown>;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/**
 * The lowest level written: `AUTHZ_LOG_LEVEL`, else Lambda's own `AWS_LAMBDA_LOG_LEVEL` (advanced logging
 * controls), else `info`. Read per line, so a test or an operator can change it without a restart.
 */
function threshold(): number {
  const named = (process.env.AUTHZ_LOG_LEVEL ?? process.env.AWS_LAMBDA_LOG_LEVEL ?? 'info').toLowerCase();
  const index = LEVELS.indexOf(named as Level);
  return index < 0 ? 1 : index;
}

function write(level: Level, message: string, fields: Fields): void {
  if (process.env.AUTHZ_LOG === 'off' || LEVELS.indexOf(level) < threshold()) return;
  const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...fields });
  (level === 'error' ? console.error : console.log)(line);
}

export const log = {
  debug: (message: string, fields: Fields = {}) => write('debug', message, fields),
  info: (message: string, fields: Fields = {}) => write('info', message, fields),
  warn: (message: string, fields: Fields = {}) => write('warn', message, fields),
  error: (message: string, fields: Fields = {}) => write('error', message, fields),
};

/** Audit events as log lines; each carries the workspace, deployed or local, so one log query can span workspaces. */
export function auditLog(tenantId: string, workspaceId: string): AuditSink {
  return { emit: (type, fields) => log.info('audit', { event: type, tenantId, workspaceId, ...fields }) };
}
