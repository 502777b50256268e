// Structured JSON logs, one line per event. Callers pass identifiers and outcomes, never secrets.
import type { AuditSink } from '../core/ports/audit.js';
import { currentRequest } from './request-context.js';

type Fields = Record<string, unknown>;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

/** Whether anything is logged at all: `AUTHZ_LOG=off` silences every line, metrics included. */
export const loggingOn = (): boolean => process.env.AUTHZ_LOG !== 'off';

/**
 * Whether lines of `level` are written: at or above `AUTHZ_LOG_LEVEL`, else Lambda's own `AWS_LAMBDA_LOG_LEVEL`
 * (advanced logging controls), else `info`. Read per line, so a test or an operator can change it without a restart.
 */
export function levelOn(level: Level): boolean {
  const named = (process.env.AUTHZ_LOG_LEVEL ?? process.env.AWS_LAMBDA_LOG_LEVEL ?? 'info').toLowerCase();
  const index = LEVELS.indexOf(named as Level);
  return LEVELS.indexOf(level) >= (index < 0 ? 1 : index);
}

/**
 * Writes one line as it is. Straight to the process's streams rather than through `console`: Lambda's console
 * prefixes each text-format line with a timestamp, request id and level our JSON already has, and in JSON log
 * format wraps the line in a string, where CloudWatch no longer reads it as Embedded Metric Format.
 */
export function writeLine(line: string, level: Level = 'info'): void {
  (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
}

function write(level: Level, message: string, fields: Fields): void {
  if (!loggingOn() || !levelOn(level)) return;
  writeLine(JSON.stringify({ level, message, time: new Date().toISOString(), ...fields }), level);
}

export const log = {
  debug: (message: string, fields: Fields = {}) => write('debug', message, fields),
  info: (message: string, fields: Fields = {}) => write('info', message, fields),
  warn: (message: string, fields: Fields = {}) => write('warn', message, fields),
  error: (message: string, fields: Fields = {}) => write('error', message, fields),
};

/**
 * Audit events as log lines, written when they happen: a request that then times out still leaves its audit
 * trail. Each carries the workspace, deployed or local, so one log query can span workspaces, and the id of the
 * request it happened in, which joins it to that request's line.
 */
export function auditLog(tenantId: string, workspaceId: string): AuditSink {
  return {
    emit: (type, fields) => {
      const requestId = currentRequest()?.requestId;
      log.info('audit', { event: type, tenantId, workspaceId, ...(requestId && { requestId }), ...fields });
    },
  };
}
