// GET /.well-known/jwks.json: every key that may still verify a live token (RFC 7517).
import { jsonResponse, type CoreResponse } from '../http.js';
import { publicKeys } from '../jwt/key-set.js';
import type { Workspace } from '../workspace.js';

export async function jwks(_req: unknown, ws: Workspace): Promise<CoreResponse> {
  return jsonResponse(200, { keys: await publicKeys(ws) }, { 'cache-control': 'public, max-age=300' });
}
