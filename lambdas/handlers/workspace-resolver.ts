// How a handler finds the workspace an event is for: one per Lambda (from its environment), many locally.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Workspace } from '../core/workspace.js';

export type WorkspaceResolver = (event: APIGatewayProxyEvent) => Promise<Workspace | undefined>;

let fromEnvironment: WorkspaceResolver | undefined;

/**
 * A deployed Lambda's resolver: the one workspace its environment describes. Imported on first use, so
 * hosts that pass their own resolver (the local server, tests) never create the AWS SDK clients.
 */
export const environmentWorkspace: WorkspaceResolver = async (event) => {
  if (!fromEnvironment) {
    const { environmentResolver } = await import('./environment.js');
    fromEnvironment ??= environmentResolver();
  }
  return fromEnvironment(event);
};
