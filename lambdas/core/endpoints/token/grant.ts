// The contract every grant implements: validated parameters and client in, token response body out.
import type { ClientRecord } from '../../model.js';
import type { Params } from '../../params.js';
import type { Workspace } from '../../workspace.js';

export interface TokenResponseBody {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
}

export type GrantHandler = (params: Params, client: ClientRecord, ws: Workspace) => Promise<TokenResponseBody>;
